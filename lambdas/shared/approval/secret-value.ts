import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../errors';

/** A secret's string value (the approval-link secret, Slack's signing secret). */
export async function secretValue(client: SecretsManagerClient, secretId: string): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new ConfigurationError(`secret ${secretId} has no string value`);
  return SecretString.trim();
}
