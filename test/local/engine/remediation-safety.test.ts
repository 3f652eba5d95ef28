import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockName } from '../../../lambdas/guard/guard';
import type { WorkflowState } from '../../../lambdas/shared/contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { remediationsOf } from '../../../lambdas/shared/kubernetes/remediation-record';
import { phaseLeaseSeconds } from '../../../lambdas/shared/lock-window';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { allStates } from '../../../local/engine/execute-definition';
import { LocalExecutionRegistry } from '../../../local/engine/execution-registry';
import { runIncident, type EventLog, type IncidentRun } from '../../../local/engine/run-incident';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { deployment } from '../../support/manifests';

/**
 * These flows exercise automatic remediation: rollbacks too run without asking (the default
 * policy asks a human before a rollback; test/local/engine/approval-flow.test.ts covers that).
 */
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

/*
 * Issue 10, classes 3 (remediation repeats) and 4 (locks outlive their holder), against the
 * synthesized IncidentResponse state machine on the local engine, the sandbox over HTTP with its
 * fault injection, and fauxqs. Each class is tried with several variants.
 */

const TIME_SCALE = 200;
const NAMESPACES = ['one-data-alldata', 'one-data-system', 'one-data-bisheng'];
const REQUEST_TIMEOUT_MS = 3000;
const ALLDATA = { namespace: 'one-data-alldata', name: 'alldata-api', kind: 'Deployment' as const };
const AGENT = { namespace: 'one-data-system', name: 'agent-api', kind: 'Deployment' as const };
const WORKER = { namespace: 'one-data-alldata', name: 'alldata-worker', kind: 'Deployment' as const };
/** MySQL never comes back: the diagnosis calls for a restart, which does not help. */
const mysqlDownForGood = {
  mode: 'crash' as const,
  exitCode: 3,
  runSeconds: 4,
  logs: [
    'alldata.db INFO Connecting to mysql+pymysql://alldata@mysql.one-data-infra:3306/one_data_studio (pool_size=20)',
    `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`,
    'ERROR:    Application startup failed. Exiting.',
  ],
};
const ARN_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:IncidentResponse:';

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;
let kube: ClientNodeKubernetes;
let dataDir: string;
let registry: LocalExecutionRegistry;

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NAMESPACES.join(',') });
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  dataDir = mkdtempSync(join(tmpdir(), 'eks-incident-executions-'));
  registry = new LocalExecutionRegistry(dataDir);
  await receiveNotifications(aws);
});

afterEach(async () => {
  await sandbox.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Target = typeof ALLDATA;

function input(target: Target): unknown {
  return {
    source: 'manual',
    target,
    alert: { name: 'ServiceDown', severity: 'critical', summary: 'test', startsAt: '2026-11-22T03:00:00Z' },
    options: { waitSeconds: 60, verifyTimeoutSeconds: 300 },
  };
}

async function run(
  target: Target,
  options: { onEvent?: (event: EventLog) => void; config?: Record<string, unknown>; name?: string } = {},
): Promise<IncidentRun> {
  return runIncident({
    synthesized,
    input: input(target),
    timeScale: TIME_SCALE,
    executionName: options.name,
    onEvent: options.onEvent,
    environment: {
      kube,
      aws,
      config: configSchema.parse({
        clusterName: 'sandbox',
        allowedNamespaces: NAMESPACES,
        kubeRequestTimeoutMs: REQUEST_TIMEOUT_MS,
        remediationPolicy: AUTO,
        ...options.config,
      }),
      now: () => new Date(sandbox.clock.now()),
      executions: registry,
    },
  });
}

function entered(result: IncidentRun): string[] {
  return result.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
}

function retried(result: IncidentRun): string[] {
  return result.events.flatMap((e) => (e.type === 'StateRetried' ? [e.state.name] : []));
}

/** The state document at the end (the execution's output, or the last state's input when it failed). */
function finalState(result: IncidentRun): WorkflowState & Record<string, unknown> {
  if (result.output) return result.output as WorkflowState & Record<string, unknown>;
  const last = [...result.events].reverse().find((e) => e.type === 'StateEntered');
  return (last as { state: { input: unknown } }).state.input as WorkflowState & Record<string, unknown>;
}

/** ReplicaSets of the Deployment: one more per rolling restart or undo to a new template. */
function replicaSetsOf(target: Target): number {
  return sandbox.store
    .list(types['replicasets.apps'], target.namespace)
    .filter((rs) => rs.metadata.name?.startsWith(`${target.name}-`)).length;
}

/** PATCHes of the Deployment that reached the API server (applied, answered or not). */
function deploymentPatches(target: Target): number {
  return sandbox.requests
    .writes()
    .filter(
      (r) =>
        r.verb === 'patch' &&
        r.resource === 'deployments' &&
        r.name === target.name &&
        r.namespace === target.namespace &&
        r.status === 200,
    ).length;
}

async function leaseOf(target: Target) {
  return kube.lock.getLease(target.namespace, lockName(target));
}

async function holdLease(target: Target, holder: string, ttlSeconds = 3600): Promise<void> {
  const held = await kube.lock.acquireLease(
    target.namespace,
    lockName(target),
    holder,
    ttlSeconds,
    new Date(sandbox.clock.now()),
  );
  expect(held.acquired).toBe(true);
}

describe('class 3: a remediation is sent once, and recorded where a rollback cannot erase it', () => {
  test.each([
    ['the restart PATCH applies and its answer is lost', [{ verb: 'patch', resource: 'deployments' }], 1],
    ['the restart PATCH loses its answer on two attempts', [{ verb: 'patch', resource: 'deployments' }], 2],
    ['the record written before the PATCH loses its answer', [{ verb: 'update', resource: 'leases' }], 1],
    [
      'the record and then the PATCH lose their answers',
      [
        { verb: 'update', resource: 'leases' },
        { verb: 'patch', resource: 'deployments' },
      ],
      1,
    ],
  ])('%s: exactly one rolling restart', async (_case, faults, times) => {
    // Prepare
    await sandbox.settle();
    const before = replicaSetsOf(ALLDATA);
    for (const fault of faults)
      sandbox.faults.add({ ...fault, namespace: ALLDATA.namespace, dropAnswer: true, times });

    // Act
    const result = await run(ALLDATA);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(retried(result)).toContain('Restart');
    expect(finalState(result).report?.outcome).toBe('recovered-by-restart');
    expect(deploymentPatches(ALLDATA)).toBe(1);
    await sandbox.settle();
    expect(replicaSetsOf(ALLDATA)).toBe(before + 1);
    const record = remediationsOf(await leaseOf(ALLDATA));
    expect(record).toEqual([
      expect.objectContaining({
        action: 'restart',
        status: 'applied',
        at: finalState(result).restart?.restartedAt,
        execution: result.executionArn,
        incident: finalState(result).incident.id,
        fromRevision: finalState(result).diagnostics?.workload.revision,
      }),
    ]);
    expect(finalState(result).restart?.revisionBefore).toBe(
      finalState(result).diagnostics?.workload.revision,
    );
  });

  test('the undo PATCH applies and its answer is lost: exactly one undo, reported as done', async () => {
    // Prepare: the fault is armed when the execution reaches Rollback (the restart's PATCH is not hit).
    await sandbox.settle();
    const arm = (event: EventLog): void => {
      if (event.type === 'StateEntered' && event.state.name === 'Rollback') {
        sandbox.faults.add({
          verb: 'patch',
          resource: 'deployments',
          name: AGENT.name,
          dropAnswer: true,
          times: 1,
        });
      }
    };

    // Act
    const result = await run(AGENT, { onEvent: arm });

    // Assess
    expect(retried(result)).toContain('Rollback');
    expect(finalState(result).report?.outcome).toBe('recovered-by-rollback');
    // The diagnosis calls for a direct rollback (a bad release), so the undo is the only PATCH.
    expect(entered(result)).not.toContain('Restart');
    expect(deploymentPatches(AGENT)).toBe(1);
    expect(finalState(result).rollback).toMatchObject({
      skipped: false,
      alreadyApplied: true,
      toRevision: 1,
    });
    const undo = remediationsOf(await leaseOf(AGENT)).find((e) => e.action === 'undo');
    expect(undo).toMatchObject({ status: 'applied', toRevision: 1, execution: result.executionArn });
  });

  test.each([
    ['recovered by a rollback', AGENT, 'Rollback'],
    ['recovered by a restart', ALLDATA, 'Restart'],
  ] as const)(
    'a workload %s is not remediated again by the next firings: it is healthy, nothing is written',
    async (_case, target, action) => {
      // Prepare
      const first = await run(target);
      expect(entered(first)).toContain(action);
      const writesAfterFirst = sandbox.requests.writes().filter((r) => r.resource === 'deployments').length;

      // Act: two more firings, the lock released in between.
      const second = await run(target);
      const third = await run(target);

      // Assess
      for (const again of [second, third]) {
        expect(entered(again)).not.toContain('Restart');
        expect(entered(again)).not.toContain('Rollback');
        // Healthy now: no action; or (its old crash logs still in the evidence) escalated without a write.
        expect(['healthy-no-action', 'escalated']).toContain(finalState(again).report?.outcome);
        expect(finalState(again).restart).toBeUndefined();
        expect(finalState(again).rollback).toBeUndefined();
      }
      expect(sandbox.requests.writes().filter((r) => r.resource === 'deployments').length).toBe(
        writesAfterFirst,
      );
      const lease = await leaseOf(target);
      expect(lease?.spec?.holderIdentity ?? '').toBe('');
      expect(remediationsOf(lease).every((e) => e.execution === first.executionArn)).toBe(true);
    },
  );

  test('a workload a restart did not help is not remediated again within the cooldown, whatever its template says', async () => {
    // Prepare: a restart that did not help (there is no earlier revision), so it still fails.
    sandbox.apply([deployment(WORKER.namespace, WORKER.name, { behavior: { app: mysqlDownForGood } })]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A day's cooldown: three runs with waits, rollback and dump pass many sandbox minutes at
    // 200x (more on a loaded machine), so the default 900 s could lapse before the third.
    const config = { cooldownSeconds: 86400 };
    const first = await run(WORKER, { config });
    expect(entered(first)).toContain('Restart');
    // What a rollback does to the template: the restartedAt annotation is gone.
    const erased = await fetch(
      `${sandbox.url}/apis/apps/v1/namespaces/${WORKER.namespace}/deployments/${WORKER.name}`,
      {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({
          spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': null } } } },
        }),
      },
    );
    expect(erased.status).toBe(200);
    const writesAfterFirst = sandbox.requests.writes().filter((r) => r.resource === 'deployments').length;

    // Act: two more firings, the lock released in between.
    const second = await run(WORKER, { config });
    const third = await run(WORKER, { config });

    // Assess
    for (const again of [second, third]) {
      expect(entered(again)).not.toContain('Restart');
      expect(entered(again)).not.toContain('Rollback');
      expect(finalState(again).guard).toMatchObject({ allowed: false, reason: 'cooldown' });
      expect(finalState(again).guard?.detail).toContain(first.executionArn);
    }
    expect(sandbox.requests.writes().filter((r) => r.resource === 'deployments').length).toBe(
      writesAfterFirst,
    );
    const lease = await leaseOf(WORKER);
    expect(lease?.spec?.holderIdentity ?? '').toBe('');
    expect(remediationsOf(lease).every((e) => e.execution === first.executionArn)).toBe(true);
  });

  test('once the cooldown has passed, a new firing may remediate again', async () => {
    // Prepare: a 120 s cooldown (0.6 s of wall time at this scale), a workload still broken.
    sandbox.apply([deployment(WORKER.namespace, WORKER.name, { behavior: { app: mysqlDownForGood } })]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const config = { cooldownSeconds: 120 };
    const first = await run(WORKER, { config });
    expect(entered(first)).toContain('Restart');
    await new Promise((resolve) => setTimeout(resolve, (121_000 / TIME_SCALE) * 1.5));

    // Act
    const second = await run(WORKER, { config });

    // Assess
    expect(finalState(second).guard?.allowed).toBe(true);
    expect(entered(second)).toContain('Restart');
    // The second may also roll back to the first's restart: one or more entries of its own.
    expect([...new Set(remediationsOf(await leaseOf(WORKER)).map((e) => e.execution))]).toEqual([
      first.executionArn,
      second.executionArn,
    ]);
  });
});

/** A process that has exited: its pid names no running process. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('class 4: a lock does not outlive its holder', () => {
  test.each([
    [
      'its process was killed (the record says RUNNING, the pid is gone)',
      (name: string) =>
        writeFileSync(
          join(dataDir, `${name}.json`),
          JSON.stringify({
            name,
            executionArn: `${ARN_PREFIX}${name}`,
            startTime: new Date().toISOString(),
            status: 'RUNNING',
            pid: deadPid(),
          }),
        ),
    ],
    [
      'it failed',
      (name: string) => {
        registry.begin({ name, executionArn: `${ARN_PREFIX}${name}`, startTime: new Date().toISOString() });
        registry.end(name, 'FAILED', new Date());
      },
    ],
    [
      'it was aborted',
      (name: string) => {
        registry.begin({ name, executionArn: `${ARN_PREFIX}${name}`, startTime: new Date().toISOString() });
        registry.end(name, 'ABORTED', new Date());
      },
    ],
  ])('the lock of an execution that has ended is taken over when %s', async (_case, leaveRecord) => {
    // Prepare
    const holder = 'killed-holder';
    leaveRecord(holder);
    registry = new LocalExecutionRegistry(dataDir);
    await holdLease(ALLDATA, `${ARN_PREFIX}${holder}`);

    // Act
    const result = await run(ALLDATA);

    // Assess
    expect(finalState(result).guard).toMatchObject({ allowed: true, lock: { acquired: true } });
    expect(finalState(result).guard?.detail).toContain(`taken over from ${ARN_PREFIX}${holder}`);
    expect(finalState(result).report?.outcome).toBe('recovered-by-restart');
    expect((await leaseOf(ALLDATA))?.spec?.holderIdentity ?? '').toBe('');
  });

  test('an expired lock of an unknown holder is taken over', async () => {
    // Prepare
    await holdLease(ALLDATA, 'somebody-else', 60);
    await new Promise((resolve) => setTimeout(resolve, (61_000 / TIME_SCALE) * 1.5));

    // Act
    const result = await run(ALLDATA);

    // Assess
    expect(finalState(result).guard).toMatchObject({ allowed: true });
    expect(entered(result)).toContain('Restart');
  });

  test.each([
    [
      'a running execution of this engine',
      () => {
        registry.begin({
          name: 'live-holder',
          executionArn: `${ARN_PREFIX}live-holder`,
          startTime: new Date().toISOString(),
        });
        return `${ARN_PREFIX}live-holder`;
      },
    ],
    [
      'a running execution of another live process',
      () => {
        writeFileSync(
          join(dataDir, 'other-process.json'),
          JSON.stringify({
            name: 'other-process',
            executionArn: `${ARN_PREFIX}other-process`,
            startTime: new Date().toISOString(),
            status: 'RUNNING',
            pid: process.ppid,
          }),
        );
        registry = new LocalExecutionRegistry(dataDir);
        return `${ARN_PREFIX}other-process`;
      },
    ],
    [
      'a holder nobody knows (another engine, another account)',
      () => 'arn:aws:states:eu-west-1:999999999999:execution:X:y',
    ],
  ])('a live lock held by %s still refuses', async (_case, holderOf) => {
    // Prepare
    const holder = holderOf();
    await holdLease(ALLDATA, holder);
    const patchesBefore = deploymentPatches(ALLDATA);

    // Act
    const result = await run(ALLDATA);

    // Assess
    expect(finalState(result).guard).toMatchObject({ allowed: false, reason: 'locked' });
    expect(entered(result)).not.toContain('Restart');
    expect(deploymentPatches(ALLDATA)).toBe(patchesBefore);
    expect((await leaseOf(ALLDATA))?.spec?.holderIdentity).toBe(holder);
  });

  test('the lease is sized to the remediation, renewed by the verify loop and the rollback, and released', async () => {
    // Prepare: record every lease write's duration as the flow goes.
    const durations: Array<{ state: string; seconds: number | undefined }> = [];
    const watch = (event: EventLog): void => {
      if (event.type !== 'StateExited') return;
      void kube.lock
        .getLease(AGENT.namespace, lockName(AGENT))
        .then((lease) =>
          durations.push({ state: event.state.name, seconds: lease?.spec?.leaseDurationSeconds }),
        );
    };

    // Act
    const result = await run(AGENT, { onEvent: watch });
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    const options = { waitSeconds: 60, verifyTimeoutSeconds: 300, dryRun: false, allowRollback: true };
    expect(durations.find((d) => d.state === 'Guard')?.seconds).toBe(phaseLeaseSeconds(options));
    expect(phaseLeaseSeconds(options)).toBeLessThan(3600);
    const verifies = durations.filter((d) => d.state === 'Verify');
    expect(verifies.length).toBeGreaterThanOrEqual(1);
    // Verify renews for what is left of the remediation's deadline: never longer than the phase.
    expect(verifies.some((d) => (d.seconds ?? 0) > 0)).toBe(true);
    expect(verifies.every((d) => (d.seconds ?? 0) <= phaseLeaseSeconds(options))).toBe(true);
    expect(durations.find((d) => d.state === 'Rollback')?.seconds).toBe(phaseLeaseSeconds(options));
    expect(finalState(result).lockRelease).toMatchObject({ released: true });
    expect((await leaseOf(AGENT))?.spec?.holderIdentity ?? '').toBe('');
  });

  test('every path of the state machine from Guard to an end passes through Release Lock', () => {
    // Prepare
    const definition = synthesized.incidentResponse as { States: Record<string, Record<string, unknown>> };
    const states = Object.fromEntries(allStates(definition));
    const nextOf = (name: string): string[] => {
      const s = states[name];
      return [
        ...(s.Next ? [String(s.Next)] : []),
        ...(s.Default ? [String(s.Default)] : []),
        ...((s.Choices ?? []) as Array<{ Next: string }>).map((c) => c.Next),
        ...((s.Catch ?? []) as Array<{ Next: string }>).map((c) => c.Next),
      ];
    };

    // Act: every state reachable from Guard without passing Release Lock, and the ends among them.
    const seen = new Set<string>();
    const ends: string[] = [];
    const stack = ['Guard'];
    while (stack.length) {
      const name = stack.pop()!;
      if (seen.has(name) || name === 'Release Lock') continue;
      seen.add(name);
      const next = nextOf(name);
      if (states[name].Type === 'Succeed' || states[name].Type === 'Fail' || states[name].End)
        ends.push(name);
      stack.push(...next);
    }

    // Assess
    expect(seen.size).toBeGreaterThan(8);
    expect(ends).toEqual([]);
  });
});

test('the lock of a run whose engine died is taken over by the next run of a fresh engine (records on disk)', async () => {
  // Prepare: an execution recorded RUNNING by a process that is gone, holding the lock.
  const name = 'run-that-died';
  writeFileSync(
    join(dataDir, `${name}.json`),
    JSON.stringify({
      name,
      executionArn: `${ARN_PREFIX}${name}`,
      startTime: new Date().toISOString(),
      status: 'RUNNING',
      pid: deadPid(),
    }),
  );
  await holdLease(ALLDATA, `${ARN_PREFIX}${name}`);
  registry = new LocalExecutionRegistry(dataDir);

  // Act
  const state = await registry.state(`${ARN_PREFIX}${name}`);
  const result = await run(ALLDATA);

  // Assess
  expect(state).toBe('ended');
  expect(registry.get(name)?.status).toBe('ABORTED');
  expect(finalState(result).guard?.allowed).toBe(true);
  expect(registry.get(result.executionName)?.status).toBe(result.status);
  expect(await receiveNotifications(aws)).not.toEqual([]);
});

describe('class 6: a manual execution names a real namespace and object, or fails at the first state', () => {
  test.each([
    ['namespace', 'Kube-System'],
    ['namespace', 'one data'],
    ['namespace', 'a..b'],
    ['namespace', 'x'.repeat(64)],
    ['namespace', ''],
    ['name', 'Alldata-Api'],
    ['name', 'alldata_api'],
    ['name', 'a'.repeat(254)],
  ])('target.%s %j: InvalidInputError naming the field, no request to the cluster', async (field, value) => {
    // Prepare
    await sandbox.settle();
    sandbox.requests.clear();
    const bad = { ...(input(ALLDATA) as Record<string, unknown>), target: { ...ALLDATA, [field]: value } };

    // Act
    const result = await runIncident({
      synthesized,
      input: bad,
      timeScale: TIME_SCALE,
      environment: {
        kube,
        aws,
        config: configSchema.parse({
          clusterName: 'sandbox',
          allowedNamespaces: NAMESPACES,
          remediationPolicy: AUTO,
        }),
        now: () => new Date(sandbox.clock.now()),
        executions: registry,
      },
    });

    // Assess
    expect(result.error?.Error).toBe('InvalidInputError');
    expect(String(result.error?.Cause)).toContain(`target.${field}`);
    expect(entered(result)).toEqual(['Open Incident', 'Invalid Input']);
    expect(sandbox.requests.all()).toEqual([]);
  });
});
