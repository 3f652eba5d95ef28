import type { DumpLogLayout } from '../lambdas/shared/contracts';

/**
 * What bench/cluster-dump.ts and the dump child it runs (bench/cluster-dump-child.ts) say to
 * each other, kept apart from the child's module, which runs the dump as soon as it is loaded.
 */

/** What the parent passes as the one argument, as JSON. */
export interface DumpChildInput {
  kubeconfigFile: string;
  s3Endpoint: string;
  region: string;
  bucket: string;
  namespace: string;
  maxBytes: number;
  concurrency: number;
  logLimitBytes: number;
  logs: DumpLogLayout;
  requestTimeoutMs: number;
}

/** The line the child prints when the dump starts. */
export const DUMP_STARTS = 'cluster-dump: start';

/** What the child prints when the dump is done: one line, JSON (V8's GC trace lines start with `[`). */
export interface DumpChildOutput {
  dumpMs: number;
  objects: number;
  bytes: number;
  truncated: boolean;
  /** After the imports and clients, before the dump: what the process holds doing nothing. */
  baselineRssMiB: number;
  baselineHeapMiB: number;
  /** Highest V8 heap in use seen, sampled every few ms while the dump ran (garbage included). */
  peakHeapMiB: number;
}
