import { randomUUID } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { S3Client } from '@aws-sdk/client-s3';
import { clusterDump } from '../lambdas/cluster-dump/cluster-dump';
import { parseExecutionInput, type Incident } from '../lambdas/shared/contracts';
import { S3EvidenceStore } from '../lambdas/shared/evidence/s3-evidence-store';
import { incidentId, incidentPrefix } from '../lambdas/shared/evidence/layout';
import { localKubeConfig } from '../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../lambdas/shared/kubernetes/kubernetes-port';
import { DUMP_STARTS, type DumpChildInput, type DumpChildOutput } from './cluster-dump-protocol';

/**
 * The Cluster Dump step in a process of its own, so that its peak memory is the dump's and not
 * the sandbox's: bench/cluster-dump.ts bundles this file like a Lambda and runs it in a fresh
 * Node 24. The step logic and adapters are the deployed ones; only the wiring is local (a
 * kubeconfig instead of an EKS token, S3 on fauxqs).
 */

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
  // The parent runs this process with --trace-gc: the collections after this line are the dump's.
  console.log(DUMP_STARTS);
  const start = performance.now();
  const dump = await clusterDump(
    { state: { incident }, execution },
    {
      kube,
      evidence,
      maxBytes: input.maxBytes,
      concurrency: input.concurrency,
      logLimitBytes: input.logLimitBytes,
      logs: input.logs,
    },
  );
  const dumpMs = performance.now() - start;
  clearInterval(sampler);
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
  };
  console.log(JSON.stringify(output));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
