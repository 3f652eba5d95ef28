import { setFlagsFromString } from 'node:v8';

/**
 * Shrinks V8's young generation and keeps it at that size while `work` runs, instead of letting
 * V8 double it up to what the process was started with.
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

let holders = 0;

export async function withYoungGenerationHeld<T>(work: () => Promise<T>): Promise<T> {
  if (holders++ === 0) {
    // The last-resort flavour is the full collection that also shrinks the young generation, to
    // the smallest size V8 has: the bundle's loading grew it to 2×8 MiB, which the dump does not
    // need either (its peak is about 12 MiB lower for about 0.1 s more CPU). Without --expose-gc
    // (tests, the local engine) the young generation is held where it is.
    (globalThis as { gc?: ExposedGc }).gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    setFlagsFromString(HELD);
  }
  try {
    return await work();
  } finally {
    if (--holders === 0) setFlagsFromString(V8_DEFAULT);
  }
}
