/**
 * Redaction applied to everything the workflow writes to S3 or sends in a notification.
 *
 * Three rules, from the runbooks' "配置信息（敏感信息已脱敏）" (configuration with sensitive
 * information masked) and design §4:
 * - Secret data never leaves: a Kubernetes Secret keeps its name and key names, never values.
 * - A value whose NAME looks like a credential (DB_PASSWORD, OPENAI_API_KEY, DATABASE_URL...)
 *   is replaced whole, wherever it appears: container env, ConfigMap data, `NAME=value` in a log.
 * - A VALUE that looks like a credential (AWS access key ids, bearer tokens, JWTs, URL
 *   passwords, PEM blocks, Slack webhook URLs...) is replaced wherever it appears.
 */

export const REDACTED = '[REDACTED]';

/** Name parts that mark a credential. Names are split into parts on `_`, `-`, `.` and camelCase. */
const CREDENTIAL_PARTS = new Set([
  'PASSWORD',
  'PASSWD',
  'PASS',
  'PWD',
  'PASSPHRASE',
  'SECRET',
  'SECRETS',
  'TOKEN',
  'TOKENS',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
  'DSN',
  'APIKEY',
  'AUTH',
  'AUTHORIZATION',
  'COOKIE',
  'PRIVATE',
  'SIGNATURE',
  'WEBHOOK',
]);

/** Names that are credentials as a whole although no single part says so. */
const CREDENTIAL_NAMES =
  /^(DATABASE_URL|DB_URL|.*_DATABASE_URL|.*CONNECTION_STRING|.*_CONN_STR|.*_URI_WITH_AUTH)$/;

/**
 * Last parts that make the name point AT a credential rather than hold one
 * (`secretName`, `PASSWORD_FILE`, `secretKeyRef`): the value is a reference, useful in a
 * diagnosis and harmless.
 */
const REFERENCE_SUFFIXES = new Set(['NAME', 'NAMES', 'REF', 'FILE', 'PATH', 'DIR']);

function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

/** Whether a variable, key or field with this name holds a credential. */
export function isCredentialName(name: string): boolean {
  const parts = nameParts(name);
  if (parts.length === 0) return false;
  if (REFERENCE_SUFFIXES.has(parts[parts.length - 1])) return false;
  if (CREDENTIAL_NAMES.test(parts.join('_'))) return true;
  if (parts.some((part) => CREDENTIAL_PARTS.has(part))) return true;
  // A lone `key` is usually an identifier (an S3 key, a ConfigMap key); API_KEY,
  // SECRET_ACCESS_KEY or ENCRYPTION_KEY are not.
  return parts.length > 1 && parts.includes('KEY');
}

/** Characters that may form a credential-looking name inside free text. */
const NAME_IN_TEXT = String.raw`[A-Za-z][A-Za-z0-9_.\-]{0,80}`;

/**
 * Value patterns, applied in order. Each replacement keeps enough context (the scheme, the
 * user, the variable name) for a human to understand the line.
 */
const VALUE_PATTERNS: Array<{ pattern: RegExp; replace: string | ((...groups: string[]) => string) }> = [
  // PEM blocks (private keys, certificates); an unterminated block is cut to the end.
  {
    pattern: /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g,
    replace: REDACTED,
  },
  // Slack incoming webhooks and workflow triggers: the URL itself is the credential.
  { pattern: /https:\/\/hooks\.slack\.com\/[A-Za-z0-9/_-]+/g, replace: REDACTED },
  // URLs with a password in their userinfo: mysql://user:pass@host, redis://:pass@host.
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"]*):([^\s@/'"]+)@/gi,
    replace: (_m, scheme, user) => `${scheme}${user}:${REDACTED}@`,
  },
  // Go MySQL DSNs: user:pass@tcp(host:3306)/db
  {
    pattern: /\b([A-Za-z0-9_.-]+):([^\s@:/'"]+)@(tcp|unix)\(/g,
    replace: (_m, user, _pass, proto) => `${user}:${REDACTED}@${proto}(`,
  },
  // Authorization headers: a bearer/basic credential has a digit somewhere ("Basic auth required" has none).
  {
    pattern: /\b(Bearer|bearer|Basic|basic)\s+(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{8,}=*/g,
    replace: (_m, scheme) => `${scheme} ${REDACTED}`,
  },
  // Container env serialized into a log line: {"name":"DB_PASSWORD","value":"..."}.
  {
    pattern: /("name"\s*:\s*"([^"]+)"\s*,\s*"value"\s*:\s*)"(?:[^"\\]|\\.)*"/g,
    replace: (match, prefix, name) => (isCredentialName(name) ? `${prefix}"${REDACTED}"` : match),
  },
  // JWTs (header.payload.signature, base64url; the header always starts with {" → eyJ).
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: REDACTED },
  // AWS access key ids (long-term, temporary, and the other IAM unique-id prefixes).
  { pattern: /\b(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}\b/g, replace: REDACTED },
  // Provider tokens with a recognisable shape: GitHub, Slack, OpenAI-style, Google API keys.
  { pattern: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g, replace: REDACTED },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { pattern: /\bsk-(proj-)?[A-Za-z0-9_-]{20,}/g, replace: REDACTED },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: REDACTED },
];

/**
 * name=value, name: value, "name": "value" where the name looks like a credential. A value
 * never starts with { or [: `"serviceAccountToken": {...}` is structure, not a credential.
 */
const ASSIGNMENT = new RegExp(
  String.raw`(["']?)(?<![A-Za-z0-9_.\-])(${NAME_IN_TEXT})\1(\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'{}[\]][^\s,;&"'}\]]*)`,
  'g',
);

function redactAssignment(quote: string, name: string, separator: string, value: string): string | undefined {
  // Already redacted by a value pattern (the password of a URL in DATABASE_URL=...).
  if (!isCredentialName(name) || value.includes(REDACTED.slice(0, -1))) return undefined;
  // `password: null` or `token=""` reveal nothing and help a diagnosis; `Authorization:
  // Bearer` is followed by its redacted token.
  if (/^("|')?\1$|^(null|none|true|false|yes\)?|no\)?|bearer|basic)$/i.test(value)) return undefined;
  // A JSON number after a quoted name becomes a string, so the document stays JSON.
  const quoted = value.startsWith('"') || value.startsWith("'") ? value[0] : quote === '"' ? '"' : '';
  return `${quote}${name}${quote}${separator}${quoted}${REDACTED}${quoted}`;
}

/**
 * Applies ASSIGNMENT. When a name is harmless, scanning resumes right after it rather than
 * after its value: in `config: DB_PASSWORD=...` the value of `config` holds the credential.
 */
function redactAssignments(text: string): string {
  let out = '';
  let copied = 0;
  ASSIGNMENT.lastIndex = 0;
  for (let m = ASSIGNMENT.exec(text); m; m = ASSIGNMENT.exec(text)) {
    const [match, quote, name, separator, value] = m;
    const replacement = redactAssignment(quote, name, separator, value);
    if (replacement === undefined) {
      ASSIGNMENT.lastIndex = m.index + quote.length + name.length;
      continue;
    }
    out += text.slice(copied, m.index) + replacement;
    copied = m.index + match.length;
  }
  return out + text.slice(copied);
}

/** Redacts credential-looking values (and `name=value` pairs with credential names) in free text. */
export function redactText(text: string): string {
  let out = text;
  for (const { pattern, replace } of VALUE_PATTERNS) {
    out = out.replace(pattern, replace as (substring: string, ...args: string[]) => string);
  }
  return redactAssignments(out);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ name, value }` pairs as Kubernetes writes container env. */
function isEnvVar(value: Record<string, unknown>): value is { name: string; value: string } {
  return typeof value.name === 'string' && typeof value.value === 'string';
}

/** A Secret, also as a List item (items of a list carry no `kind`): metadata, a type, and data. */
function isSecret(value: Record<string, unknown>): boolean {
  if (value.kind === 'Secret') return true;
  return (
    value.kind === undefined &&
    isRecord(value.metadata) &&
    typeof value.type === 'string' &&
    (isRecord(value.data) || isRecord(value.stringData))
  );
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function redactSecret(secret: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...secret };
  for (const field of ['data', 'stringData']) {
    const data = secret[field];
    if (isRecord(data)) out[field] = Object.fromEntries(Object.keys(data).map((k) => [k, REDACTED]));
  }
  // `kubectl apply` keeps the whole applied manifest, data included, in this annotation.
  const metadata = secret.metadata;
  if (isRecord(metadata) && isRecord(metadata.annotations) && LAST_APPLIED in metadata.annotations) {
    out.metadata = { ...metadata, annotations: { ...metadata.annotations, [LAST_APPLIED]: REDACTED } };
  }
  return out;
}

/**
 * Deep-redacts a JSON-like value: Secrets lose their data, credential-named fields and env
 * vars lose their values, every string is scanned for credential-looking values.
 */
export function redactObject<T>(value: T): T {
  return redactNode(value) as T;
}

function redactNode(value: unknown): unknown {
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map(redactNode);
  if (!isRecord(value)) return value;
  const source = isSecret(value) ? redactSecret(value) : value;
  const credentialEnv = isEnvVar(source) && isCredentialName(source.name);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(source)) {
    const scalar = typeof child === 'string' || typeof child === 'number';
    const credential = scalar && (isCredentialName(key) || (credentialEnv && key === 'value'));
    out[key] = credential ? REDACTED : redactNode(child);
  }
  return out;
}

/**
 * Strings holding JSON (`kubectl.kubernetes.io/last-applied-configuration` carries a whole
 * manifest, env values included) are redacted as the objects they are.
 */
function redactString(value: string): string {
  const trimmed = value.trim();
  if (
    (trimmed.startsWith('{') && trimmed.endsWith('}')) ||
    (trimmed.startsWith('[') && trimmed.endsWith(']'))
  ) {
    try {
      return JSON.stringify(redactNode(JSON.parse(trimmed)));
    } catch {
      // Not JSON after all: scan it as text.
    }
  }
  return redactText(value);
}

/** Redacts, then serializes; what every JSON document written as evidence goes through. */
export function redactedJson(value: unknown): string {
  return JSON.stringify(redactObject(value), null, 2);
}
