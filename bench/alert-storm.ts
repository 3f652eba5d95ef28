import { ClientNodeOwnerLookup, CachingOwnerLookup } from '../lambdas/intake/owner-lookup';
import type { AlertmanagerPayload } from '../lambdas/shared/alertmanager';
import { S3EvidenceStore } from '../lambdas/shared/evidence/s3-evidence-store';
import { localKubeConfig } from '../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../lambdas/shared/kubernetes/kubernetes-port';
import { createLogger } from '../lambdas/shared/logger';
import { configSchema } from '../lib/config';
import { synthesizeDefinitions } from '../lib/synth';
import { startLocalAws } from '../local/aws/local-aws';
import { runIncident } from '../local/engine/run-incident';
import { types } from '../local/kube-sandbox/runtime';
import { startSandbox } from '../local/kube-sandbox/sandbox';
import { LocalExecutionStarter } from '../local/webhook/local-execution-starter';
import { startWebhookServer } from '../local/webhook/serve';
import type { Section } from './results-file';
import { progress } from './stats';

const DELIVERIES = 1000;
const PROBLEMS = 200;
const TOKEN = 'alert-storm-bench-token';
const TIME_SCALE = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * An alert storm against `eks-incident serve`: 1,000 webhook deliveries of 200 distinct problems
 * (each delivered five times: Alertmanager's first notification, repeats, retries, an HA peer),
 * all posted at once over HTTP. Each problem is a KubePodCrashLooping alert for a pod of the
 * demo cluster, so the intake resolves it through the pod's owner chain in the sandbox.
 *
 * The executions run on the real local engine (the synthesized state machine, every step's
 * code) with dry-run inputs, in the same process as the server: that is what a `serve` user
 * gets, so the intake's latency is measured while 200 flows start beside it, and deduplication
 * is the real LocalExecutionStarter's. Dry runs only read the cluster and skip the runbook's
 * 60-second waits, so the storm measures the intake, not remediation. On AWS the flows run in
 * Step Functions, not beside the intake, so its latency there has no such competition.
 */
export async function benchAlertStorm(): Promise<Section> {
  const sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  const aws = await startLocalAws();
  try {
    await sandbox.settle();
    const namespaces = ['one-data-alldata', 'one-data-system', 'one-data-bisheng', 'one-data-infra'];
    const synthesized = synthesizeDefinitions({
      clusterName: 'sandbox',
      allowedNamespaces: namespaces.join(','),
    });
    const config = configSchema.parse({ clusterName: 'sandbox', allowedNamespaces: namespaces });
    const kubeConfig = localKubeConfig({ yaml: sandbox.kubeconfig() });
    const kube = new ClientNodeKubernetes(kubeConfig, { requestTimeoutMs: 10_000 });
    const now = () => new Date(sandbox.clock.now());
    const { region, account } = synthesized.placeholders;
    const starter = new LocalExecutionStarter({
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:IncidentResponse`,
      run: ({ name, input, startTime }) =>
        runIncident({
          synthesized,
          input,
          environment: { kube, aws, config, now },
          timeScale: TIME_SCALE,
          executionName: name,
          startTime,
        }),
    });
    const server = await startWebhookServer({
      port: 0,
      token: TOKEN,
      starter,
      evidence: new S3EvidenceStore(aws.s3, aws.bucket),
      resolve: {
        rules: [],
        owners: new CachingOwnerLookup(new ClientNodeOwnerLookup(kubeConfig, { requestTimeoutMs: 2000 }), {
          ttlMs: 600_000,
          maxEntries: 10_000,
        }),
        defaultNamespace: 'kube-system',
      },
      options: { dryRun: true },
      now: () => new Date(),
      log: createLogger({ level: 'error', write: () => undefined }),
    });

    const pods = namespaces.flatMap((namespace) =>
      sandbox.store
        .list(types.pods, namespace)
        .filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.kind === 'ReplicaSet'))
        .map((pod) => ({ namespace, pod: pod.metadata.name! })),
    );
    const startsAt = new Date(Date.now() - 300_000).toISOString();
    const payloads: AlertmanagerPayload[] = Array.from({ length: PROBLEMS }, (_, i) => {
      const { namespace, pod } = pods[i % pods.length];
      const labels = {
        alertname: 'KubePodCrashLooping',
        namespace,
        pod,
        container: `c${i}`,
        severity: 'warning',
      };
      return {
        version: '4',
        groupKey: `{}:{alertname="KubePodCrashLooping", namespace="${namespace}", container="c${i}"}`,
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'eks-incident-response',
        groupLabels: { alertname: 'KubePodCrashLooping', namespace },
        commonLabels: labels,
        commonAnnotations: { summary: 'Pod is crash looping.' },
        externalURL: 'http://alertmanager:9093',
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: { summary: 'Pod is crash looping.' },
            startsAt,
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus:9090/graph',
            fingerprint: (0x1000000000000000n + BigInt(i)).toString(16),
          },
        ],
      };
    });
    // Every problem five times, interleaved, so repeats race their first delivery.
    const deliveries = Array.from({ length: DELIVERIES }, (_, i) => JSON.stringify(payloads[i % PROBLEMS]));

    const latencies: number[] = [];
    const alone: number[] = [];
    let started = 0;
    let duplicates = 0;
    let failures = 0;
    const deliver = async (body: string, into: number[]) => {
      const sent = performance.now();
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body,
      });
      const answer = (await response.json()) as { executions?: Array<{ started: boolean }> };
      into.push(performance.now() - sent);
      if (response.status !== 200) failures += 1;
      if (into === latencies) {
        for (const execution of answer.executions ?? []) {
          if (execution.started) started += 1;
          else duplicates += 1;
        }
      }
    };
    progress('alert-storm', `posting ${DELIVERIES} deliveries of ${PROBLEMS} problems at once`);
    const stormStart = performance.now();
    await Promise.all(deliveries.map((body) => deliver(body, latencies)));
    const stormMs = performance.now() - stormStart;
    progress(
      'alert-storm',
      `answered in ${Math.round(performance.now() - stormStart)} ms; waiting for the executions`,
    );
    await starter.idle();
    const drainMs = performance.now() - stormStart;
    // The same repeats one at a time, the engine idle: the intake's own time, without a queue.
    for (const body of deliveries.slice(0, 100)) await deliver(body, alone);
    await server.close();
    const runs = starter.list();
    latencies.sort((a, b) => a - b);
    alone.sort((a, b) => a - b);
    return {
      title: 'Alert storm on eks-incident serve',
      setup:
        `${DELIVERIES} Alertmanager webhook deliveries of ${PROBLEMS} distinct KubePodCrashLooping problems ` +
        "(each delivered five times), posted at once over HTTP to `eks-incident serve`'s server; targets " +
        "resolved through the pods' owner chain in the sandbox (demo scenario); every execution a dry run " +
        `on the real local engine in the same process, 4 at a time, time scaled x${TIME_SCALE} (bench/alert-storm.ts).`,
      notes: [
        "The executions run on the real local engine, not a stub: deduplication is the real LocalExecutionStarter's, " +
          'and the latency under the storm includes 200 flows setting up beside the server in one Node.js process, ' +
          'as `eks-incident serve` users have it. On AWS the flows run in Step Functions, away from the intake.',
        'Latency "at once" is mostly queueing: 1,000 requests arrive together at one event loop. "One at a time" ' +
          "is the intake's own time for a repeat (token, parse, index lookup in S3, answer).",
      ],
      figures: [
        { name: 'executions started', value: started, unit: 'executions', note: `of ${PROBLEMS} problems` },
        {
          name: 'duplicate deliveries',
          value: duplicates,
          unit: 'deliveries',
          note: 'answered without a start',
        },
        { name: 'failed deliveries', value: failures, unit: 'deliveries', note: 'non-200 answers' },
        {
          name: 'intake latency p50',
          value: percentile(latencies, 50),
          unit: 'ms',
          note: `${DELIVERIES} at once`,
        },
        {
          name: 'intake latency p99',
          value: percentile(latencies, 99),
          unit: 'ms',
          note: `${DELIVERIES} at once`,
        },
        { name: 'storm answered in', value: stormMs, unit: 'ms', note: 'all deliveries answered' },
        {
          name: 'executions finished in',
          value: drainMs,
          unit: 'ms',
          note: `${runs.filter((r) => r.status === 'SUCCEEDED').length} of ${runs.length} SUCCEEDED (dry run)`,
        },
        {
          name: 'intake latency p50, one at a time',
          value: percentile(alone, 50),
          unit: 'ms',
          note: '100 repeats in sequence after the storm, engine idle',
        },
        {
          name: 'intake latency p99, one at a time',
          value: percentile(alone, 99),
          unit: 'ms',
          note: '100 repeats in sequence after the storm, engine idle',
        },
      ],
    };
  } finally {
    await aws.stop();
    await sandbox.stop();
  }
}
