import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { ClientNodeOwnerLookup, CachingOwnerLookup } from '../lambdas/intake/owner-lookup';
import type { AlertmanagerPayload } from '../lambdas/shared/alertmanager';
import { S3EvidenceStore } from '../lambdas/shared/evidence/s3-evidence-store';
import { localKubeConfig } from '../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../lambdas/shared/kubernetes/kubernetes-port';
import { createLogger } from '../lambdas/shared/observability/logger';
import { configSchema } from '../lib/config';
import { synthesizeDefinitions } from '../lib/synth';
import { startLocalAws } from '../local/aws/local-aws';
import { runIncident } from '../local/engine/run-incident';
import { types } from '../local/kube-sandbox/runtime';
import { startSandbox } from '../local/kube-sandbox/sandbox';
import { IntakeActivity } from '../local/webhook/intake-activity';
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

/** One delivery's answer as the sender saw it. */
interface Delivered {
  /** Posted → answer read. */
  ms: number;
  /** The answer read, from the first post. */
  endMs: number;
  status: number;
  /** 503 answers (overloaded) before it, each retried after its Retry-After as Alertmanager does. */
  refused: number;
  started: number;
  duplicates: number;
}

/**
 * Posts `bodies` from a separate Node process, as Alertmanager posts from its own: the sender's
 * work (1,000 requests at once) must not share the event loop it measures. `mode` is all at
 * once, or one after the other. A 503 is retried after its Retry-After, as Alertmanager retries
 * it; the latency is the first post → the final answer.
 */
function postFromAnotherProcess(
  url: string,
  bodies: string[],
  mode: 'at once' | 'in sequence',
): Promise<Delivered[]> {
  const script = `
    const { url, token, bodies, sequential } = JSON.parse(await new Response(process.stdin).text());
    const t0 = performance.now();
    const post = async (body) => {
      const sent = performance.now();
      let response, answer, refused = 0;
      for (;;) {
        // A refused connection is retried like a 503: Alertmanager retries both.
        response = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body }).catch(() => undefined);
        answer = response ? await response.json().catch(() => undefined) : undefined;
        if (response && answer && response.status !== 503) break;
        refused += 1;
        await new Promise((resolve) => setTimeout(resolve, Number(response?.headers.get('retry-after') ?? 1) * 1000));
      }
      const now = performance.now();
      const executions = answer.executions ?? [];
      return { ms: now - sent, endMs: now - t0, status: response.status, refused, started: executions.filter((e) => e.started).length, duplicates: executions.filter((e) => !e.started).length };
    };
    const results = [];
    if (sequential) for (const body of bodies) results.push(await post(body));
    else results.push(...(await Promise.all(bodies.map(post))));
    process.stdout.write(JSON.stringify(results));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Delivered[]) : reject(new Error(`the sender exited ${code}`)),
    );
    child.stdin.end(JSON.stringify({ url, token: TOKEN, bodies, sequential: mode === 'in sequence' }));
  });
}

/** `503 ×12, 500 ×3`: the answers that were not 200. */
function statusCounts(delivered: Delivered[]): string {
  const counts = new Map<number, number>();
  for (const d of delivered) if (d.status !== 200) counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} ×${n}`).join(', ');
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

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
  const loadAtStart = os.loadavg()[0];
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
    // As `eks-incident serve` wires them: executions wait for the deliveries being answered.
    const activity = new IntakeActivity();
    const starter = new LocalExecutionStarter({
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:IncidentResponse`,
      startWhen: () => activity.quiet(),
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
      activity,
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

    progress('alert-storm', `posting ${DELIVERIES} deliveries of ${PROBLEMS} problems at once`);
    const stormCpu = process.cpuUsage();
    const storm = await postFromAnotherProcess(server.url, deliveries, 'at once');
    const stormCpuMs = cpuMs(process.cpuUsage(stormCpu));
    const stormMs = Math.max(...storm.map((d) => d.endMs));
    progress('alert-storm', `answered in ${Math.round(stormMs)} ms; waiting for the executions`);
    const drainStart = performance.now();
    await starter.idle();
    const drainMs = stormMs + performance.now() - drainStart;
    // The same repeats one at a time, the engine idle: the intake's own time and CPU, without a queue.
    const aloneCpu = process.cpuUsage();
    const alone = await postFromAnotherProcess(server.url, deliveries.slice(0, 100), 'in sequence');
    const aloneCpuMs = cpuMs(process.cpuUsage(aloneCpu));
    await server.close();
    const started = storm.reduce((n, d) => n + d.started, 0);
    const duplicates = storm.reduce((n, d) => n + d.duplicates, 0);
    const failures = storm.filter((d) => d.status !== 200).length;
    const latencies = storm.map((d) => d.ms).sort((a, b) => a - b);
    const aloneMs = alone.map((d) => d.ms).sort((a, b) => a - b);
    const runs = starter.list();
    return {
      title: 'Alert storm on eks-incident serve',
      setup:
        `${DELIVERIES} Alertmanager webhook deliveries of ${PROBLEMS} distinct KubePodCrashLooping problems ` +
        "(each delivered five times), posted at once over HTTP to `eks-incident serve`'s server; targets " +
        "resolved through the pods' owner chain in the sandbox (demo scenario); every execution a dry run " +
        `on the real local engine in the same process, 4 at a time, time scaled x${TIME_SCALE}, each held back ` +
        'until no delivery is being answered (IntakeActivity, as `serve` wires it); the deliveries are posted ' +
        `from a separate Node process (bench/alert-storm.ts). 1-minute load average ${loadAtStart.toFixed(1)} at ` +
        `the start, ${os.loadavg()[0].toFixed(1)} at the end.`,
      notes: [
        "The executions run on the real local engine, not a stub: deduplication is the real LocalExecutionStarter's. " +
          'They start once the storm is answered (or 5 s after their delivery at the latest, so a steady stream ' +
          'cannot starve them); on AWS the flows run in Step Functions, away from the intake.',
        'Latency "at once" is queueing: 1,000 requests arrive together at one event loop, and each costs the ' +
          'intake its CPU time (token, parse, owner lookup, index lookup and entry in S3, answer), so the last ' +
          'answer comes after about 1,000 times that. "One at a time" is the intake\'s own time for a repeat. ' +
          "CPU per delivery is the server process's user + system time divided by the deliveries: the intake, " +
          "and the in-process fauxqs answering its S3 calls (on AWS the latter is S3's).",
      ],
      figures: [
        { name: 'executions started', value: started, unit: 'executions', note: `of ${PROBLEMS} problems` },
        {
          name: 'duplicate deliveries',
          value: duplicates,
          unit: 'deliveries',
          note: 'answered without a start',
        },
        {
          name: 'failed deliveries',
          value: failures,
          unit: 'deliveries',
          note: `non-200 answers${failures ? `: ${statusCounts(storm)}` : ''}`,
        },
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
          note: `${DELIVERIES} at once; goal ≤ 500 ms: ${percentile(latencies, 99) <= 500 ? 'met' : 'missed'}`,
        },
        { name: 'storm answered in', value: stormMs, unit: 'ms', note: 'all deliveries answered' },
        {
          name: 'deliveries refused at first (503, retried)',
          value: storm.filter((d) => d.refused > 0).length,
          unit: 'deliveries',
          note: `serve answers at most 64 at once (maxInFlight); ${storm.reduce((n, d) => n + d.refused, 0)} refusals in all`,
        },
        {
          name: 'server CPU per delivery, under the storm',
          value: stormCpuMs / DELIVERIES,
          unit: 'ms',
          note: `${stormCpuMs.toFixed(0)} ms for ${DELIVERIES} deliveries; the executions held back meanwhile`,
        },
        {
          name: 'server CPU per delivery, warm, one at a time',
          value: aloneCpuMs / alone.length,
          unit: 'ms',
          note: `${alone.length} repeats in sequence after the storm, engine idle`,
        },
        {
          name: 'executions finished in',
          value: drainMs,
          unit: 'ms',
          note: `${runs.filter((r) => r.status === 'SUCCEEDED').length} of ${runs.length} SUCCEEDED (dry run)`,
        },
        {
          name: 'intake latency p50, one at a time',
          value: percentile(aloneMs, 50),
          unit: 'ms',
          note: '100 repeats in sequence after the storm, engine idle',
        },
        {
          name: 'intake latency p99, one at a time',
          value: percentile(aloneMs, 99),
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
