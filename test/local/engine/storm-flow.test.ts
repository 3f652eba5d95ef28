import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowState } from '../../../lambdas/shared/contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { LocalExecutionRegistry } from '../../../local/engine/execution-registry';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { deployment, namespace } from '../../support/manifests';
import { eventually } from '../../support/polling';

/*
 * Issue 12, the storm brake, end to end: the synthesized IncidentResponse state machine on the
 * local engine, the sandbox over HTTP, fauxqs for S3/SNS. Seven workloads in two namespaces
 * break at once (their database went away; a restart would bring each back) and seven
 * executions run concurrently against a budget of three per cluster and two per namespace.
 */

const TIME_SCALE = 200;
const NAMESPACES = ['storm-a', 'storm-b'];
const BUDGET = { cluster: 3, namespace: 2, windowSeconds: 3600 };
const WORKLOADS = [
  ...['api', 'worker', 'scheduler', 'indexer'].map((name) => ({ namespace: 'storm-a', name })),
  ...['gateway', 'search', 'billing'].map((name) => ({ namespace: 'storm-b', name })),
];
const databaseGone = {
  mode: 'crash' as const,
  exitCode: 3,
  runSeconds: 4,
  recoverAfterRolloutRestart: true,
  logs: [
    'app.db INFO Connecting to mysql+pymysql://app@mysql.storm-infra:3306/app (pool_size=20)',
    `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.storm-infra' (111)")`,
    'ERROR:    Application startup failed. Exiting.',
  ],
};

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;
let dataDir: string;
let runs: IncidentRun[];

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NAMESPACES.join(',') });
  aws = await startLocalAws();
  sandbox = await startSandbox({
    clock: { timeScale: TIME_SCALE },
    objects: [
      ...NAMESPACES.map(namespace),
      ...WORKLOADS.map((w) =>
        deployment(w.namespace, w.name, { replicas: 1, behavior: { app: databaseGone } }),
      ),
    ],
  });
  await untilAllCrashed();
  await receiveNotifications(aws);
  dataDir = mkdtempSync(join(tmpdir(), 'eks-incident-storm-'));
  const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
    requestTimeoutMs: 5000,
  });
  const environment = {
    kube,
    aws,
    config: configSchema.parse({
      clusterName: 'sandbox',
      allowedNamespaces: NAMESPACES,
      remediationBudget: BUDGET,
    }),
    now: () => new Date(sandbox.clock.now()),
    executions: new LocalExecutionRegistry(dataDir),
  };
  // Act (shared by the tests below): one alert per workload, all at once.
  runs = await Promise.all(
    WORKLOADS.map((w) =>
      runIncident({
        synthesized,
        timeScale: TIME_SCALE,
        environment,
        input: {
          source: 'alertmanager',
          target: { ...w, kind: 'Deployment' },
          alert: {
            name: 'KubePodCrashLooping',
            severity: 'critical',
            summary: `${w.name} is crash looping`,
            startsAt: '2026-11-22T03:00:00Z',
          },
          // One wait period is also how long a storm batch's opener gathers: 600 s of sandbox time
          // (3 s of wall time) holds all seven refusals in one batch however busy the machine is.
          options: { waitSeconds: 600, verifyTimeoutSeconds: 900 },
        },
      }),
    ),
  );
}, 120_000); // seven flows at once on a shared 2-core machine: 15 s quiet, up to a minute loaded

afterAll(async () => {
  await sandbox?.stop();
  await aws?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function entered(run: IncidentRun): string[] {
  return run.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
}

function finalState(run: IncidentRun): WorkflowState {
  return run.output as WorkflowState;
}

/** Until every workload's pod has crashed at least once (their evidence exists). */
async function untilAllCrashed(): Promise<void> {
  const crashed = (w: { namespace: string; name: string }) =>
    sandbox.store.list(types.pods, w.namespace).some((pod) => {
      const labels = (pod.metadata as { labels?: Record<string, string> }).labels;
      const statuses =
        (pod.status as { containerStatuses?: Array<{ restartCount?: number }> } | undefined)
          ?.containerStatuses ?? [];
      return labels?.app === w.name && statuses.some((c) => (c.restartCount ?? 0) > 0);
    });
  await eventually('every workload to crash', () => WORKLOADS.every(crashed), {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}

describe('the storm brake on the real flow', () => {
  it('restarts exactly the budget’s worth of workloads, never more than the namespace budget in one namespace', () => {
    // Assess
    const restarted = runs.filter((run) => entered(run).includes('Restart'));
    expect(runs.map((run) => run.status)).toEqual(WORKLOADS.map(() => 'SUCCEEDED'));
    expect(restarted).toHaveLength(BUDGET.cluster);
    for (const ns of NAMESPACES) {
      const inNamespace = restarted.filter((run) => finalState(run).incident.target.namespace === ns);
      expect(inNamespace.length).toBeLessThanOrEqual(BUDGET.namespace);
    }
    for (const run of restarted) expect(finalState(run).report?.outcome).toBe('recovered-by-restart');
  });

  it('diagnoses and keeps the evidence of every other incident, takes no action and pages for none of them', () => {
    // Assess
    const stormed = runs.filter((run) => finalState(run).guard?.reason === 'storm');
    expect(stormed).toHaveLength(WORKLOADS.length - BUDGET.cluster);
    for (const run of stormed) {
      const state = finalState(run);
      expect(entered(run)).not.toContain('Restart');
      expect(entered(run)).not.toContain('Rollback');
      expect(entered(run)).not.toContain('Escalate');
      expect(state.diagnostics?.evidence.diagnostics).toMatch(/diagnostics\.json$/);
      expect(state.events?.evidence.manifest).toMatch(/manifest\.json$/);
      expect(state.report?.outcome).toBe('storm-no-action');
      expect(state.lockRelease?.released).toBe(true);
    }
  });

  it('sends one storm notification that lists every refused incident, and no page per incident beyond the budget', async () => {
    // Assess
    const notifications = await receiveNotifications(aws);
    const storm = notifications.filter((n) => n.Subject?.includes(' storm: '));
    expect(storm).toHaveLength(1);
    // Seven incidents in flight, budget three: they open without a page, and the only pages
    // besides the storm notification are the outcomes of the restarted ones.
    const stageOf = (n: (typeof notifications)[number]) => n.MessageAttributes?.stage?.Value;
    const perIncident = notifications.filter((n) => stageOf(n) !== 'storm');
    const restarted = runs
      .filter((run) => entered(run).includes('Restart'))
      .map((run) => finalState(run).incident.id);
    expect(perIncident.map(stageOf)).toEqual(restarted.map(() => 'recovered'));
    expect(perIncident.map((n) => n.MessageAttributes?.incidentId?.Value).sort()).toEqual(
      [...restarted].sort(),
    );
    for (const run of runs)
      expect(finalState(run).incident.quietOpening).toMatch(/^more than 3 incidents in flight/);
    const refused = runs
      .filter((run) => finalState(run).guard?.reason === 'storm')
      .map((run) => finalState(run).incident.id);
    for (const id of refused) expect(storm[0].Message).toContain(id);
    expect(notifications.filter((n) => n.Subject?.includes(' escalated: '))).toEqual([]);
  });
});
