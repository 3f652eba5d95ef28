import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at the size it has while `work` runs, instead of letting V8 double
 * it up to what the process was started with.
 *
 * Why: Lambda starts Node with `--max-semi-space-size` at a twentieth of the function's memory
 * (lib/bundling/lambda-v8-flags.ts: 51 MiB at 1,024 MB). V8 doubles the young generation each time
 * the bytes that survived its scavenges since the last doubling exceed its size, so a long,
 * streaming job such as the cluster dump (a few MiB in flight, hundreds of MiB allocated) ends
 * with two semi-spaces of 64 MiB, about 110 MiB of RSS that only ever hold garbage. What the job
 * keeps alive does not need them: held at the 8 MiB it has after the bundle loads, the dump of
 * 2,000 pods peaks about 35 MiB lower at the same CPU (more, cheaper scavenges), measured in
 * bench/cluster-dump.ts. The flags cannot do it: `--max-semi-space-size` also overrides a
 * worker's `resourceLimits`, and both are read once at start. The growth factor is read each
 * time V8 grows the young generation, so a factor of 1 holds it and 2 (V8's default) gives the
 * usual behaviour back. Jobs may overlap (the local engine runs steps in one process): the
 * default comes back when the last one ends.
 */
const HELD = '--semi-space-growth-factor=1';
const V8_DEFAULT = '--semi-space-growth-factor=2';

let holders = 0;

export async function withYoungGenerationHeld<T>(work: () => Promise<T>): Promise<T> {
  if (holders++ === 0) setFlagsFromString(HELD);
  try {
    return await work();
  } finally {
    if (--holders === 0) setFlagsFromString(V8_DEFAULT);
  }
}
