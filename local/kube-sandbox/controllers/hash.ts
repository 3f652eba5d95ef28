/**
 * Pod-template hashing as the controller-manager does it (`controller.ComputeHash`): FNV-32a over
 * the template, then the collision count, rendered with apimachinery's `rand.SafeEncodeString`.
 * The values look like real `pod-template-hash` / `controller-revision-hash` labels (`7d4b9c5f8`).
 *
 * Kubernetes hashes the Go struct (spew-printed); the sandbox hashes canonical JSON (keys sorted),
 * so equal templates hash equally here, but the values differ from a real cluster's.
 */

/** The alphabet of apimachinery's rand package: no vowels, no confusable digits. */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

function fnv32a(bytes: Uint8Array, seed = FNV32_OFFSET): number {
  let hash = seed;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV32_PRIME) >>> 0;
  }
  return hash;
}

/**
 * JSON with object keys sorted at every level, so key order does not matter, and without the
 * fields a Go struct cannot tell from absent ones (null, empty lists): two templates are equal
 * here when the API server would store them alike.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** apimachinery `rand.SafeEncodeString`: each character mapped into the safe alphabet. */
function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

/**
 * The hash a controller puts in `pod-template-hash` (Deployment) or uses for revisions
 * (DaemonSet, StatefulSet). `collisionCount` is the owner's `status.collisionCount`: when set
 * (even to 0) it is mixed in as 8 little-endian bytes, as Kubernetes does, so bumping it after a
 * name collision yields a new name.
 */
export function computeTemplateHash(template: unknown, collisionCount?: number): string {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(bytes, hash);
  }
  return safeEncodeString(String(hash));
}
