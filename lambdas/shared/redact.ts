import { containsPasswordWord, PASSWORD_WORD_SOURCE } from './secrets/credential-words';
import { base64HidesSecret, looksRandom } from './secrets/random-tokens';
import { vendorSecrets } from './secrets/vendor-tokens';

/**
 * Redaction applied to everything the workflow writes to S3 or sends in a notification.
 *
 * Rules, from the runbooks' "配置信息（敏感信息已脱敏）" (configuration with sensitive
 * information masked) and design §4:
 * - Secret data never leaves: a Kubernetes Secret keeps its name and key names, never values.
 * - A value whose NAME looks like a credential (DB_PASSWORD, PGPASSWORD, OPENAI_API_KEY,
 *   DATABASE_URL, `--db-password`, 密码...) is replaced whole, wherever it appears: container env
 *   and args, ConfigMap data, `NAME=value`, `--flag value`, headers, prose ("the password is x").
 * - A VALUE that looks like a credential is replaced wherever it appears: URL passwords, PEM
 *   blocks, JWTs, authorization headers of every scheme, vendor tokens (secretlint's recommended
 *   rules), machine-random tokens and base64 that decodes to a credential.
 */

export const REDACTED = '[REDACTED]';
const REDACTED_STEM = REDACTED.slice(0, -1);

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
  'SESSION',
  'SESSIONID',
  'SALT',
  'OTP',
  'PIN',
]);

/**
 * Credential words that also hold inside one-word names: PGPASSWORD, MYSQLPWD-less spellings
 * like DBPASS, REDISCLI_AUTH, ROOTTOKEN, APPSECRET, XAPIKEY.
 */
const CREDENTIAL_INFIXES =
  /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|APIKEY|CREDENTIAL|PRIVATEKEY|ACCESSKEY|AUTHKEY|SIGNINGKEY|MASTERKEY/;
/** One-word names that end in a credential word: DBPASS, REDISCLIAUTH, MYSQLPWD. */
const CREDENTIAL_ENDINGS = /(PASS|PWD|AUTH|KEY)$/;

/** Names that are credentials as a whole although no single part says so. */
const CREDENTIAL_NAMES =
  /^(DATABASE_URL|DB_URL|.*_DATABASE_URL|.*CONNECTION_STRING|.*_CONN_STR|.*_URI_WITH_AUTH|(.*_)?(DB|MYSQL|POSTGRES|PG|REDIS|MONGO|MONGODB|AMQP|RABBITMQ)_(URL|URI))$/;

/**
 * Last parts that make the name point AT a credential rather than hold one
 * (`secretName`, `PASSWORD_FILE`, `secretKeyRef`): the value is a reference, useful in a
 * diagnosis and harmless.
 */
const REFERENCE_SUFFIXES = new Set(['NAME', 'NAMES', 'REF', 'FILE', 'PATH', 'DIR', 'ARN', 'KEYS']);

/** Names whose parts happen to spell a credential word but are not one. */
const HARMLESS_PARTS = new Set(['PASSTHROUGH', 'BYPASS', 'COMPASS', 'MONKEY', 'TURKEY', 'HOCKEY']);

function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

/** Whether a variable, key, flag or field with this name holds a credential. */
export function isCredentialName(name: string): boolean {
  const parts = nameParts(name);
  if (parts.length === 0) return containsPasswordWord(name);
  if (REFERENCE_SUFFIXES.has(parts[parts.length - 1])) return false;
  if (containsPasswordWord(name)) return true;
  if (CREDENTIAL_NAMES.test(parts.join('_'))) return true;
  if (parts.some((part) => CREDENTIAL_PARTS.has(part))) return true;
  if (parts.some((part) => !HARMLESS_PARTS.has(part) && CREDENTIAL_INFIXES.test(part))) return true;
  // REDISCLI_AUTH, DBPASS, MYSQLPWD: a long part ending in a credential word.
  if (parts.some((part) => part.length > 5 && !HARMLESS_PARTS.has(part) && CREDENTIAL_ENDINGS.test(part)))
    return true;
  // A lone `key` is usually an identifier (an S3 key, a ConfigMap key); API_KEY,
  // SECRET_ACCESS_KEY or ENCRYPTION_KEY are not.
  return parts.length > 1 && parts.includes('KEY');
}

/** Characters that may form a credential-looking name inside free text; flags keep their dashes. */
const NAME_IN_TEXT = String.raw`-{0,2}[\p{L}][\p{L}\p{N}_.\-]{0,80}`;

type Replacer = (match: string, ...groups: string[]) => string;

/** Index of the first `quote` in `text` that no backslash escapes; the length when there is none. */
function closingQuote(text: string, quote: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

/** Replaces a value unless an earlier rule already did. */
function guarded(replace: Replacer): Replacer {
  return (match, ...groups) => (match.includes(REDACTED_STEM) ? match : replace(match, ...groups));
}

const AWS_KEY_ID = String.raw`(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}`;

/** Words after "password is" that describe the password rather than being it. */
const NOT_A_VALUE = new Set(
  `incorrect invalid wrong expired missing required empty set unset not null none nil undefined too
  correct valid ok okay revoked rejected accepted being been changed reset updated rotated present absent
  blank weak strong short long good bad the a an also still now used needed provided malformed stale
  ignored disabled enabled true false yes no here there stored in at on for from to of by with and or
  mismatch mismatched different same required. invalid. incorrect. expired. empty. missing. unknown
  about going will would should must can cannot could has have had verified checked valid. correct.
  redacted masked hidden configured specified supplied given`
    .split(/\s+/)
    .filter(Boolean),
);

const HEADER_NAMES = String.raw`(?:proxy-)?authorization|x-api-key|api-key|x-auth-token|x-access-token|x-amz-security-token|x-vault-token|private-token|x-goog-api-key|ocp-apim-subscription-key|set-cookie|cookie`;
/** Schemes kept in front of a redacted credential, so a reader still sees how the request authenticated. */
const AUTH_SCHEMES =
  /^(basic|bearer|digest|token|apikey|api-key|negotiate|ntlm|hoba|mutual|oauth|mac|hawk|signature|sswss?|geniekey|splunk|dsn|aws4-hmac-sha256|goog4-rsa-sha256|scram-sha-\d+|vapid|key)$/i;

/**
 * Value patterns, applied in order. Each replacement keeps enough context (the scheme, the
 * user, the variable name) for a human to understand the line.
 */
const VALUE_PATTERNS: Array<{ pattern: RegExp; replace: Replacer }> = [
  // PEM blocks (private keys, certificates); an unterminated block is cut to the end.
  {
    pattern: /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g,
    replace: () => REDACTED,
  },
  // PuTTY private keys.
  { pattern: /PuTTY-User-Key-File-\d+:[\s\S]*?(?:Private-MAC: *[0-9a-f]+|$)/g, replace: () => REDACTED },
  // Slack incoming webhooks and workflow triggers: the URL itself is the credential.
  { pattern: /https:\/\/hooks\.slack\.com\/[A-Za-z0-9/_-]+/g, replace: () => REDACTED },
  // URLs with a password in their userinfo: mysql://user:pass@host, redis://:pass@host,
  // mongodb+srv://u:p@cluster. The password may itself hold an @: the last one ends it.
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"<>]*):([^\s/'"<>]+)@(?=[^\s@/'"<>]+)/gi,
    replace: guarded((_m, scheme, user) => `${scheme}${user}:${REDACTED}@`),
  },
  // Go MySQL DSNs: user:pass@tcp(host:3306)/db
  {
    pattern: /\b([A-Za-z0-9_.-]+):([^\s@:/'"]+)@(tcp|unix)\(/g,
    replace: guarded((_m, user, _pass, proto) => `${user}:${REDACTED}@${proto}(`),
  },
  // Authorization-like headers, any scheme: the rest of the line is the credential.
  {
    pattern: new RegExp(
      String.raw`\b(${HEADER_NAMES})(["']?[ \t]*[:=][ \t]*["']?)(?:([A-Za-z][A-Za-z0-9-]*)[ \t]+)?([^\r\n]+)`,
      'gi',
    ),
    // Not guarded: redacting the rest of the line again is harmless, and a value redacted
    // further along the line must not spare the header.
    replace: (match, name, separator, scheme = '', rest) => {
      // A quoted value ends at its closing quote; what follows it on the line is kept.
      const quote = /["']$/.test(separator) ? separator.slice(-1) : '';
      const end = quote ? closingQuote(rest, quote) : rest.length;
      const value = rest.slice(0, end);
      if (!scheme && (isNothing(value.trim()) || value.trim() === '')) return match;
      const kept = AUTH_SCHEMES.test(scheme) ? `${scheme} ` : '';
      return `${name}${separator}${kept}${REDACTED}${rest.slice(end)}`;
    },
  },
  // Authorization schemes outside a header: a credential has a digit, a symbol or mixed case
  // ("Basic auth required", "Token validation failed" have none).
  {
    pattern:
      /\b(Bearer|bearer|BEARER|Basic|basic|Token|token|Digest|ApiKey|SSWS|GenieKey)\s+(?=[A-Za-z\-._~+/]*[\d\-._~+/]|[a-z]*[A-Z])[A-Za-z0-9\-._~+/]{8,}=*/g,
    replace: guarded((_m, scheme) => `${scheme} ${REDACTED}`),
  },
  // Container env serialized into a log line: {"name":"DB_PASSWORD","value":"..."}.
  {
    pattern: /("name"\s*:\s*"([^"]+)"\s*,\s*"value"\s*:\s*)"(?:[^"\\]|\\.)*"/g,
    replace: guarded((match, prefix, name) =>
      isCredentialNameCached(name) ? `${prefix}"${REDACTED}"` : match,
    ),
  },
  // JWTs and JWEs (base64url parts; the header always starts with {" → eyJ).
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_.-]*/g, replace: () => REDACTED },
  // An AWS access key id and the secret key printed after it ("AKIA... / wJalr...", "id:secret").
  {
    pattern: new RegExp(
      String.raw`\b${AWS_KEY_ID}\b([\s,;:/|"'=]+(?:(?:aws_)?secret(?:_access)?(?:_key)?|secret|sk|key)?[\s,;:/|"'=]*)([A-Za-z0-9/+=]{16,})`,
      'g',
    ),
    replace: guarded((_m, separator) => `${REDACTED}${separator}${REDACTED}`),
  },
  // AWS access key ids (long-term, temporary, and the other IAM unique-id prefixes).
  { pattern: new RegExp(String.raw`\b${AWS_KEY_ID}\b`, 'g'), replace: () => REDACTED },
  // Token shapes older than, or looser than, secretlint's rules: GitHub, Slack, OpenAI-style
  // `sk-` keys without the marker secretlint looks for, Google API keys.
  { pattern: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g, replace: () => REDACTED },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: () => REDACTED },
  { pattern: /\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, replace: () => REDACTED },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: () => REDACTED },
  // mysql's password glued to its flag: mysql -uroot -pS3cret, mysqldump -p'x'.
  {
    pattern:
      /\b(mysql(?:dump|admin|import|check|slap|show|pump|sh)?|mariadb(?:-dump|-admin)?)\b([^\n|;&]*?\s)-p(?!\s)(['"]?)([^\s'"]+)\3/g,
    replace: (_m, command, between, quote) => `${command}${between}-p${quote}${REDACTED}${quote}`,
  },
];

/*
 * The non-ASCII parts of the patterns below are plain strings, interpolated into String.raw:
 * esbuild escapes non-ASCII in a string literal but must keep a String.raw text as written, and
 * one non-ASCII character makes the whole bundle a two-byte string that every cold start
 * decodes and V8 holds at twice the size (lib/bundling; eslint.config.mjs enforces it).
 */
/** ASCII and fullwidth colons; ASCII and fullwidth equals signs. */
const COLONS = ':：';
const EQUALS = '=＝';
/** "the password is x", "Passwort ist x", "mot de passe était x", "пароль был x". */
const PROSE_VERBS =
  'is|was|equals|is set to|was set to|set to|changed to|reset to|became|is now|ist|lautet|war|est|était|es|era|é|è|это|был|была';
/** "密码是x", "パスワードはx", "비밀번호는 x". */
const CJK_COPULAS = '是|为|為|は|が|이|가|은|는';
const OPEN_QUOTES = `"'“‘「『`;
const CLOSE_QUOTES = `"'”’」』`;
/** Fullwidth comma, ideographic full stop and comma, fullwidth semicolon and parentheses. */
const CJK_PUNCTUATION = '，。、；（）';

/**
 * name=value, name: value, "name": "value", --flag=value where the name looks like a
 * credential. A value never starts with { or [: `"serviceAccountToken": {...}` is structure,
 * not a credential.
 */
const ASSIGNMENT = new RegExp(
  String.raw`(["']?)(?<![\p{L}\p{N}_.\-])(${NAME_IN_TEXT})\1(\s*(?:[${COLONS}${EQUALS}]|=>|:=)\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'{}[\]][^\s,;&"'}\]]*)`,
  'gu',
);

function isNothing(value: string): boolean {
  // `password: null` or `token=""` reveal nothing and help a diagnosis; `Authorization:
  // Bearer` is followed by its redacted token.
  return /^("|')?\1$|^(null|none|nil|true|false|yes\)?|no\)?|bearer|basic|\*+)$/i.test(value);
}

function redactAssignment(quote: string, name: string, separator: string, value: string): string | undefined {
  // Already redacted by a value pattern (the password of a URL in DATABASE_URL=...).
  if (!isCredentialNameCached(name) || value.includes(REDACTED_STEM) || isNothing(value)) return undefined;
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

/** `--password VALUE`, `-token VALUE`: a credential flag and the argument after it. */
const FLAG_AND_VALUE = /(?<![\w-])(--?[A-Za-z][\w.-]*)([ \t]+)(?![-\s])(["']?)([^\s"']+)\3/g;

/** Prose: "the password is hunter2", "token was abc", "密码是abc", "Passwort ist x", "пароль: x". */
const PROSE = new RegExp(
  String.raw`(\b(?:password|passwd|passphrase|passcode|pwd|pin|token|secret|api[ _-]?key|access[ _-]?key|secret[ _-]?key|private[ _-]?key|credentials?)\b|${PASSWORD_WORD_SOURCE})` +
    String.raw`((?:[ \t]+(?:${PROSE_VERBS})(?=[\s${COLONS}])[ \t]*[${COLONS}]?[ \t]*|[ \t]*[${COLONS}${EQUALS}][ \t]*|[ \t]*(?:${CJK_COPULAS})[ \t]*[${COLONS}]?[ \t]*))` +
    // A quoted value may hold spaces ("correct horse battery staple"); a bare one ends at a space.
    String.raw`(?:([${OPEN_QUOTES}])([^${CLOSE_QUOTES}\n]{1,200})([${CLOSE_QUOTES}])|([^\s${CJK_PUNCTUATION};,${CLOSE_QUOTES}()<>]+))`,
  'giu',
);

function redactProse(text: string): string {
  return text.replace(
    PROSE,
    (match, word: string, connector: string, open = '', quoted = '', close = '', bare = '') => {
      const value = quoted || bare;
      if (value.includes(REDACTED_STEM)) return match;
      const core = quoted ? value : value.replace(/[.!?:]+$/, '');
      if (!core || NOT_A_VALUE.has(core.toLowerCase()) || isNothing(core)) return match;
      return `${word}${connector}${open}${REDACTED}${close}${quoted ? '' : value.slice(core.length)}`;
    },
  );
}

/** Tokens that may be random credentials or base64 (with padding, URL alphabet, `/` and `+`). */
const TOKEN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{11,}={0,2}(?![A-Za-z0-9+/_=-])/g;

/** Set while a decoded base64 text is being checked: decoding does not recurse. */
let decoding = false;

function redactTokens(text: string): string {
  return text.replace(TOKEN, (token) => {
    if (token.includes('REDACTED')) return token;
    // A path, a URL or an S3 key mixes `/` with `-` or `_`, which standard base64 never does:
    // its segments are judged one by one, so a random key inside one is found and the path kept.
    if (token.includes('/') && /[-_]/.test(token)) {
      return token
        .split('/')
        .map((segment) => (looksRandom(segment) ? REDACTED : segment))
        .join('/');
    }
    if (looksRandom(token)) return REDACTED;
    if (!decoding) {
      decoding = true;
      try {
        if (base64HidesSecret(token, (decoded) => redactText(decoded) !== decoded)) return REDACTED;
      } finally {
        decoding = false;
      }
    }
    return token;
  });
}

/** Characters of a vendor-token run: `[A-Za-z0-9_+/=.-]`, by char code. */
const TOKEN_CHAR = new Uint8Array(128);
for (const char of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+/=.-')
  TOKEN_CHAR[char.charCodeAt(0)] = 1;
/** Runs of token characters shorter than this cannot be a vendor token. */
const LONG_TOKEN = 16;

/**
 * Vendor tokens are long and machine-made, with upper case and digits (lower-case shapes such
 * as connection strings and PEM keys are caught by the rules above): text without a run of 16+
 * token characters holding both skips the 27 scanners. One pass over the characters: the
 * regex this replaces (`[A-Za-z0-9_+/=.-]{16,}`) retried every position of every shorter run.
 */
function mayHoldVendorToken(text: string): boolean {
  let run = 0;
  let upper = false;
  let digit = false;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0;
    if (code < 128 && TOKEN_CHAR[code] === 1) {
      run++;
      if (code >= 65 && code <= 90) upper = true;
      else if (code >= 48 && code <= 57) digit = true;
      continue;
    }
    if (run >= LONG_TOKEN && upper && digit) return true;
    run = 0;
    upper = false;
    digit = false;
  }
  return false;
}

function redactVendorTokens(text: string): string {
  if (!mayHoldVendorToken(text)) return text;
  let out = text;
  for (const secret of vendorSecrets(text)) {
    if (!secret.includes(REDACTED_STEM)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Blocks that span lines (PEM, PuTTY keys): found in the whole text before it is read line by line. */
const BLOCK_PATTERNS = VALUE_PATTERNS.slice(0, 2);
const LINE_PATTERNS = VALUE_PATTERNS.slice(2);

/**
 * A line without any of these cannot hold a credential-named value, a header, a URL password,
 * a known token shape or a mysql command: the context rules skip it. This prefilter is what
 * keeps a dump of thousands of ordinary log lines fast.
 */
const CONTEXT_TRIGGER = new RegExp(
  String.raw`pass|pwd|secret|token|cred|dsn|key|auth|cookie|private|signature|webhook|session|salt|otp|pin|url|uri|conn|://|@tcp\(|@unix\(|bearer|basic|digest|ssws|"name"|eyJ|A[A-Z]{3}[A-Z0-9]{16}|gh[pousr]_|xox|sk-|AIza|mysql|mariadb|${PASSWORD_WORD_SOURCE}`,
  'iu',
);

/** Names seen again and again (every env var of every pod): their verdicts are remembered. */
const verdicts = new Map<string, boolean>();

function isCredentialNameCached(name: string): boolean {
  let verdict = verdicts.get(name);
  if (verdict === undefined) {
    if (verdicts.size > 10_000) verdicts.clear();
    verdict = isCredentialName(name);
    verdicts.set(name, verdict);
  }
  return verdict;
}

function redactFlags(line: string): string {
  return line.replace(FLAG_AND_VALUE, (match, flag: string, space: string, quote: string, value: string) =>
    isCredentialNameCached(flag) && !value.includes(REDACTED_STEM) && !isNothing(value)
      ? `${flag}${space}${quote}${REDACTED}${quote}`
      : match,
  );
}

/** A line that is a JSON document (structured logs, a dump record) is redacted as the object it is. */
function redactJsonLine(line: string): string | undefined {
  const trimmed = line.trim();
  const first = trimmed[0];
  const last = trimmed[trimmed.length - 1];
  if (!((first === '{' && last === '}') || (first === '[' && last === ']'))) return undefined;
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    return `${line.slice(0, line.indexOf(first))}${JSON.stringify(redactNode(parsed))}`;
  } catch {
    return undefined;
  }
}

function redactLine(line: string): string {
  const json = redactJsonLine(line);
  if (json !== undefined) return json;
  let out = line;
  if (CONTEXT_TRIGGER.test(out)) {
    for (const { pattern, replace } of LINE_PATTERNS) out = out.replace(pattern, replace);
    out = redactAssignments(out);
    out = redactFlags(out);
    out = redactProse(out);
  }
  return redactTokens(out);
}

/** Redacts credential-looking values (and `name=value` pairs with credential names) in free text. */
export function redactText(text: string): string {
  if (text.length < 4) return text;
  let out = text;
  for (const { pattern, replace } of BLOCK_PATTERNS) out = out.replace(pattern, replace);
  out = out.includes('\n') ? out.split('\n').map(redactLine).join('\n') : redactLine(out);
  return redactVendorTokens(out);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
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
 * Deep-redacts a JSON-like value: Secrets lose their data, credential-named fields, env vars
 * and flags lose their values, every string is scanned for credential-looking values. Other
 * values (numbers, booleans, Dates) are kept as they are.
 */
export function redactObject<T>(value: T): T {
  return redactNode(value) as T;
}

/**
 * Arguments as a container's `args`/`command` hold them: `["--password", "x"]`,
 * `["mysql", "-uroot", "-pS3cret"]`. An argument alone has lost its context (the flag before
 * it, the command it belongs to), so the command line is also read whole: an argument that
 * does not survive the redaction of the whole line is redacted.
 */
function redactArgs(values: unknown[]): unknown[] {
  const strings = values.filter((v): v is string => typeof v === 'string');
  const joined = strings.join(' ');
  const redacted = strings.length > 1 ? redactText(joined) : joined;
  // Words the whole command line keeps; any other word held a credential in context.
  const kept = redacted === joined ? undefined : new Set(redacted.split(/\s+/));
  return values.map((value, i) => {
    const previous = values[i - 1];
    if (
      typeof value === 'string' &&
      typeof previous === 'string' &&
      /^--?[A-Za-z][\w.-]*$/.test(previous) &&
      isCredentialNameCached(previous) &&
      !value.startsWith('-')
    ) {
      return REDACTED;
    }
    const own = redactNode(value);
    if (!kept || typeof own !== 'string') return own;
    return own
      .split(/(\s+)/)
      .map((word) =>
        word === '' || /^\s+$/.test(word) || kept.has(word) || word.includes(REDACTED) ? word : REDACTED,
      )
      .join('');
  });
}

function redactNode(value: unknown): unknown {
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return redactArgs(value);
  if (!isRecord(value)) return value;
  const source = isSecret(value) ? redactSecret(value) : value;
  const credentialEnv = isEnvVar(source) && isCredentialNameCached(source.name);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(source)) {
    const scalar = typeof child === 'string' || typeof child === 'number';
    const credential = scalar && (isCredentialNameCached(key) || (credentialEnv && key === 'value'));
    out[key] = credential && !isNothing(String(child)) ? REDACTED : redactNode(child);
  }
  return out;
}

/**
 * Redaction is a pure function of the string (while no base64 is being decoded), and the
 * strings of Kubernetes objects repeat: every pod of a ReplicaSet has the same image, labels,
 * volumes and node names, and an object is redacted again as the JSON line it is written as.
 * Results are remembered, two generations of at most MEMO_ENTRIES each so that the cache stays
 * small (short strings only) and keeps what is in use.
 */
const MEMO_MAX_LENGTH = 256;
const MEMO_ENTRIES = 4096;

class Memo {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  get(key: string): string | undefined {
    const hit = this.current.get(key);
    if (hit !== undefined) return hit;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: string): void {
    if (this.current.size >= MEMO_ENTRIES) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }
}

const memo = new Memo();

/**
 * Strings holding JSON (`kubectl.kubernetes.io/last-applied-configuration` carries a whole
 * manifest, env values included) are redacted as the objects they are.
 */
function redactString(value: string): string {
  if (decoding || value.length > MEMO_MAX_LENGTH) return redactStringOnce(value);
  let redacted = memo.get(value);
  if (redacted === undefined) {
    redacted = redactStringOnce(value);
    memo.set(value, redacted);
  }
  return redacted;
}

function redactStringOnce(value: string): string {
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

/**
 * Text the redaction made: the evidence store writes it as it is instead of redacting it again.
 * Only this module can make one, so "every write is redacted" still holds when a caller redacts
 * first (the cluster dump measures each record's redacted size against its budget, and without
 * this the store would parse and redact every record a second time).
 */
export class RedactedText {
  private constructor(readonly text: string) {}

  /**
   * One JSON line: the object redacted as the store redacts a JSON line of text (redactText on
   * `JSON.stringify(value)` gives the same line), without parsing it back.
   */
  static jsonLine(value: unknown): RedactedText {
    return new RedactedText(redactVendorTokens(JSON.stringify(redactNode(value))));
  }
}

/** Redacts, then serializes; what every JSON document written as evidence goes through. */
export function redactedJson(value: unknown): string {
  return JSON.stringify(redactObject(value), null, 2);
}
