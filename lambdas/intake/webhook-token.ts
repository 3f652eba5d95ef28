import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../shared/errors';

export interface SecretTokenOptions {
  /** How long a read value is used before the secret is read again (so a rotation takes effect). */
  ttlMs: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The webhook's bearer token from Secrets Manager (the whole SecretString, trimmed), read once
 * per container and again after `ttlMs`. A failed read is not kept: the next request retries.
 */
export function secretsManagerToken(
  client: SecretsManagerClient,
  secretArn: string,
  options: SecretTokenOptions,
): () => Promise<string> {
  const now = options.now ?? Date.now;
  let cached: { at: number; token: Promise<string> } | undefined;
  return () => {
    if (!cached || now() - cached.at >= options.ttlMs) {
      const entry = {
        at: now(),
        token: (async () => {
          const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
          const token = SecretString?.trim() ?? '';
          if (!token) throw new ConfigurationError(`secret ${secretArn} holds no webhook token`);
          return token;
        })(),
      };
      entry.token.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
    }
    return cached.token;
  };
}
