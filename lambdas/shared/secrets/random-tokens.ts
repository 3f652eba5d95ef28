/**
 * Credentials nobody wrote a pattern for: tokens that look machine-random (API keys, secret
 * keys, session tokens of any vendor), and base64 that decodes to a credential (`user:pass`, a
 * Secret's value, a config with a password in it).
 *
 * What an incident's evidence is full of must stay readable, so "random" is strict: a token
 * needs lower case, upper case and digits, few word-like runs and high entropy. Hex (digests,
 * git SHAs, container ids, trace ids), UUIDs, pod-template hashes, resource versions, ULIDs,
 * timestamps and identifiers in camelCase are not random by this test.
 */

/** Shannon entropy, bits per character. */
export function entropy(token: string): number {
  const counts = new Map<string, number>();
  for (const char of token) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / token.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const MIN_RANDOM = 20;
/**
 * Credentials run from 20 characters (API keys) to a few hundred (Vault batch tokens, OAuth
 * access tokens); longer random runs are data (binary payloads, certificates, checksums of
 * files), whose structured secret kinds (PEM, JWT) other rules find.
 */
const MAX_RANDOM = 512;

/** Characters in runs of 4+ lower-case letters: words and camelCase parts, rare in random text. */
function wordlikeShare(token: string): number {
  let inRuns = 0;
  for (const run of token.match(/[a-z]{4,}/g) ?? []) inRuns += run.length;
  return inRuns / token.length;
}

/** Whether a token of base64/base64url/alphanumeric characters looks machine-generated. */
export function looksRandom(token: string): boolean {
  const core = token.replace(/=+$/, '');
  if (core.length < MIN_RANDOM || core.length > MAX_RANDOM) return false;
  const upper = (core.match(/[A-Z]/g) ?? []).length;
  const lower = (core.match(/[a-z]/g) ?? []).length;
  const digits = (core.match(/\d/g) ?? []).length;
  // Two digits at least: `HTTP2ServerConnection` and `Base64Encoder` are names, not keys.
  if (digits < 2 || upper < 3 || lower < 3) return false;
  // Random base62 is about half upper case, half lower case: an ISO stamp (`20261122T044233Z`)
  // or a name with one capital in a run of lower case (`am-ServiceDown-...`) is not.
  const letters = upper + lower;
  if (upper < letters * 0.15 || lower < letters * 0.15) return false;
  if (wordlikeShare(core) > 0.35) return false;
  return entropy(core) >= (core.length >= 32 ? 4.0 : 3.6);
}

/** Mostly printable UTF-8 text, as opposed to the random bytes most base64 decodes to. */
function printable(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) return undefined;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    // Control characters other than tab and line breaks: binary, not text.
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return undefined;
  }
  return text.trim().length >= 4 ? text : undefined;
}

/** `user:password` as Basic auth and `.netrc`-style files carry it. */
const USER_PASS = /^[^\s:]{1,128}:[^\s]{3,}$/;

/**
 * The text a base64 token decodes to, when it is text. Standard and URL alphabets; only
 * lengths that are whole base64 (4n characters, or unpadded 4n+2 / 4n+3).
 */
export function decodedBase64(token: string): string | undefined {
  if (token.length < 8 || token.length % 4 === 1) return undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(token)) return undefined;
  // Plain words and numbers are valid base64 too: real encodings mix cases or digits.
  if (!/[A-Z]/.test(token) || !/[a-z0-9+/]/.test(token.replace(/=+$/, '').slice(1))) return undefined;
  const bytes = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return printable(bytes);
}

/**
 * Whether a base64 token hides a credential: it decodes to `user:pass`, or to text in which
 * `detect` (the text redaction itself) finds one.
 */
export function base64HidesSecret(token: string, detect: (text: string) => boolean): boolean {
  const decoded = decodedBase64(token);
  if (decoded === undefined) return false;
  return USER_PASS.test(decoded.trim()) || detect(decoded);
}
