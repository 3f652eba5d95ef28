import { randomUUID } from 'node:crypto';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { S3Client } from '@aws-sdk/client-s3';
import { clusterDump } from '../lambdas/cluster-dump/cluster-dump';
import { parseExecutionInput, type Incident } from '../lambdas/shared/contracts';
import { S3EvidenceStore } from '../lambdas/shared/evidence/s3-evidence-store';
import { incidentId, incidentPrefix } from '../lambdas/shared/evidence/layout';
import { localKubeConfig } from '../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../lambdas/shared/kubernetes/kubernetes-port';

/**
 * The Cluster Dump step in a process of its own, so that its peak memory is the dump's and not
 * the sandbox's: bench/cluster-dump.ts bundles this file like a Lambda and runs it in a fresh
 * Node 24. The step logic and adapters are the deployed ones; only the wiring is local (a
 * kubeconfig instead of an EKS token, S3 on fauxqs).
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
  requestTimeoutMs: number;
}

/** What the child prints, as one JSON line, when the dump is done. */
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
  /**
   * Highest heap in use just after a full (mark-compact) collection: about what the dump keeps
   * alive, the figure that stays flat if it streams. Undefined when no full collection ran.
   */
  peakLiveHeapMiB?: number;
  majorGcs: number;
  /** getrusage's max RSS of this process (what /usr/bin/time reports), from the child's side. */
  maxRssMiB: number;
}

const MiB = 2 ** 20;
const HEAP_SAMPLE_MS = 5;

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as DumpChildInput;
  const kube = new ClientNodeKubernetes(localKubeConfig({ file: input.kubeconfigFile }), {
    requestTimeoutMs: input.requestTimeoutMs,
  });
  const s3 = new S3Client({
    endpoint: input.s3Endpoint,
    region: input.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const evidence = new S3EvidenceStore(s3, input.bucket);
  const execution = {
    id: `arn:aws:states:${input.region}:000000000000:execution:IncidentResponse:bench-${randomUUID()}`,
    name: 'bench',
    startTime: new Date().toISOString(),
  };
  const executionInput = parseExecutionInput({
    source: 'manual',
    target: { namespace: input.namespace, kind: 'Deployment', name: 'batch-worker' },
    alert: {
      name: 'KubePodCrashLooping',
      severity: 'critical',
      summary: 'bench',
      startsAt: execution.startTime,
    },
  });
  const id = incidentId(execution.startTime, executionInput.target, execution.id);
  const incident: Incident = {
    ...executionInput,
    id,
    openedAt: execution.startTime,
    evidencePrefix: incidentPrefix(execution.startTime, id),
  };

  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  // v8's own figure: process.memoryUsage() also reads the RSS from /proc, too dear every 5 ms.
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  }, HEAP_SAMPLE_MS);
  let peakLive: number | undefined;
  let majorGcs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR)
        continue;
      majorGcs += 1;
      peakLive = Math.max(peakLive ?? 0, getHeapStatistics().used_heap_size);
    }
  });
  gcs.observe({ entryTypes: ['gc'] });
  const start = performance.now();
  const dump = await clusterDump(
    { state: { incident }, execution },
    {
      kube,
      evidence,
      maxBytes: input.maxBytes,
      concurrency: input.concurrency,
      logLimitBytes: input.logLimitBytes,
    },
  );
  const dumpMs = performance.now() - start;
  clearInterval(sampler);
  gcs.disconnect();
  peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  s3.destroy();

  const output: DumpChildOutput = {
    dumpMs,
    objects: dump.objects,
    bytes: dump.bytes,
    truncated: dump.truncated,
    baselineRssMiB: baseline.rss / MiB,
    baselineHeapMiB: baseline.heapUsed / MiB,
    peakHeapMiB: peakHeap / MiB,
    peakLiveHeapMiB: peakLive === undefined ? undefined : peakLive / MiB,
    majorGcs,
    maxRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
  };
  console.log(JSON.stringify(output));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
