import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation small while `work` runs (HELD_NEW_SPACE_BYTES when `gc` is exposed,
 * else the size it has), instead of letting V8 double it up to what the process was started with.
 *
 * Why: Lambda starts Node with `--max-semi-space-size` at a twentieth of the function's memory
 * (lib/bundling/lambda-v8-flags.ts: 51 MiB at 1,024 MB). V8 doubles the young generation each time
 * the bytes that survived its scavenges since the last doubling exceed its size, so a long,
 * streaming job such as the cluster dump (a few MiB in flight, hundreds of MiB allocated) ends
 * with two semi-spaces of 64 MiB, about 110 MiB of RSS that only ever hold garbage. What the job
 * keeps alive does not need them (bench/cluster-dump.ts measures it). The flags cannot do it:
 * `--max-semi-space-size` also overrides a worker's `resourceLimits`, and both are read once at
 * start. The growth factor is read each time V8 grows the young generation, so a factor of 1
 * holds it and 2 (V8's default) gives the usual behaviour back. Jobs may overlap (the local
 * engine runs steps in one process): the default comes back when the last one ends.
 */
const HELD = '--semi-space-growth-factor=1';
const V8_DEFAULT = '--semi-space-growth-factor=2';

/** What Node's `--expose-gc` (which Lambda's bootstrap passes) puts on globalThis. */
type ExposedGc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * The young generation a job is held at: two semi-spaces of 4 MiB. Measured on the dump of 2,000
 * pods (bench/cluster-dump.ts): at 2×8 MiB, the size the bundle's loading leaves, the peak RSS is
 * about 8 MiB higher; at V8's smallest, 2×1 MiB, about 4 MiB lower than here but the dump costs
 * 0.3 s more CPU in four times as many scavenges; here about 0.15 s more than at 2×8.
 */
const HELD_NEW_SPACE_BYTES = 8 * 2 ** 20;
/** How often the young generation is looked at while it grows back to HELD_NEW_SPACE_BYTES. */
const GROWTH_CHECK_MS = 5;

let holders = 0;

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

export async function withYoungGenerationHeld<T>(work: () => Promise<T>): Promise<T> {
  let growing: NodeJS.Timeout | undefined;
  if (holders++ === 0) {
    const gc = (globalThis as { gc?: ExposedGc }).gc;
    if (gc) {
      // The last-resort flavour is the full collection that also shrinks the young generation
      // (to V8's smallest); V8 grows it back with the work, and it is held once it has the size.
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      growing = setInterval(() => {
        if (newSpaceBytes() < HELD_NEW_SPACE_BYTES) return;
        setFlagsFromString(HELD);
        clearInterval(growing);
      }, GROWTH_CHECK_MS).unref();
    } else {
      // Without --expose-gc (tests, the local engine) it is held where it is.
      setFlagsFromString(HELD);
    }
  }
  try {
    return await work();
  } finally {
    clearInterval(growing);
    if (--holders === 0) setFlagsFromString(V8_DEFAULT);
  }
}
