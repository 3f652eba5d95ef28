import { ConfigurationError } from './errors';

/**
 * Alertmanager's credentials, as the Secrets Manager secret `alertmanagerAuthSecretName` holds
 * them, turned into the Authorization header of the silence requests:
 *
 * - a key/value secret `{"username": "...", "password": "..."}` (the Secrets Manager console's
 *   default shape): `Basic base64(username:password)`, what Alertmanager's own web config
 *   (`basic_auth_users`) and most reverse proxies check;
 * - any other text: a bearer token (`Bearer <token>`), what an OAuth2 proxy or a gateway in front
 *   of Alertmanager checks.
 */
export function alertmanagerAuthorization(secret: string): string {
  const text = secret.trim();
  if (!text) throw new ConfigurationError('the Alertmanager auth secret is empty');
  if (!text.startsWith('{')) {
    if (/\s/.test(text)) {
      throw new ConfigurationError(
        'the Alertmanager auth secret must be one bearer token (no spaces) or JSON',
      );
    }
    return `Bearer ${text}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationError('the Alertmanager auth secret starts with "{" but is not JSON');
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || !username || typeof password !== 'string' || username.includes(':')) {
    throw new ConfigurationError(
      'the Alertmanager auth secret as JSON must be {"username": "...", "password": "..."} (no ":" in the username)',
    );
  }
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
