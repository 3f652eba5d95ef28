import {
  backupRestoreTest,
  restoreJobName,
  type BackupRestoreTestDeps,
  type RestoreTestAction,
} from '../../../lambdas/backup-restore-test/backup-restore-test';
import { restoreTestSchema, type RestoreTest } from '../../../lambdas/shared/backup-config';
import {
  backupRun,
  type BackupState,
  type RestoreProgress,
  type RestoreTests,
} from '../../../lambdas/shared/backup-contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { rbacAllows, type RbacVerb } from '../../../lambdas/shared/rbac';
import { BEHAVIOR_ANNOTATION, type ContainerBehavior } from '../../../local/kube-sandbox/behavior';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { BACKUP_EXECUTION, backupEvent } from '../backup-fixtures';

/*
 * The restore tests against the sandbox over HTTP, on a manual clock: Jobs are created in the
 * scratch namespace, run by the simulated kubelet as their pod template's behaviour says,
 * watched until they finish or time out, their logs collected, and deleted.
 */

const SCRATCH = 'backup-restore-test';
const RUN = backupRun(BACKUP_EXECUTION, 'schedule');

function restoreTest(name: string, behavior: ContainerBehavior, timeoutSeconds = 120): RestoreTest {
  return restoreTestSchema.parse({
    name,
    namespace: SCRATCH,
    description: `restores the newest ${name.split('-')[0]} backup`,
    timeoutSeconds,
    jobTemplate: {
      template: {
        metadata: { annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify({ restore: behavior }) } },
        spec: {
          containers: [{ name: 'restore', image: 'mysql:8.0.36', command: ['/scripts/restore-test.sh'] }],
        },
      },
    },
  });
}

const MYSQL = restoreTest('mysql-restore', {
  mode: 'complete',
  runSeconds: 20,
  logs: [
    '[restore-test] gunzip | mysql one_data_studio: done',
    '[restore-test] 7 tables',
    '[restore-test] OK',
  ],
});
const MILVUS = restoreTest('milvus-restore', {
  mode: 'crash',
  exitCode: 1,
  runSeconds: 5,
  logs: [
    'milvus-backup restore -n backup_nightly',
    'Error: restore failed: collection knowledge_chunks: segment 4521 not found',
  ],
});
const SLOW = restoreTest('slow-restore', { mode: 'healthy', logs: ['[restore-test] importing...'] }, 60);

let sandbox: Sandbox;
let deps: BackupRestoreTestDeps;

async function advance(seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    sandbox.clock.advance(1000);
    await sandbox.settle();
  }
}

function act<R>(action: RestoreTestAction, state: BackupState = { run: RUN }): Promise<R> {
  return backupRestoreTest(backupEvent(state, { action }), deps) as Promise<R>;
}

function jobsInScratch(): string[] {
  return sandbox.store.list(types['jobs.batch'], SCRATCH).map((j) => j.metadata.name!);
}

beforeEach(async () => {
  sandbox = await startSandbox({
    clock: { mode: 'manual', start: Date.parse(BACKUP_EXECUTION.startTime) },
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SCRATCH } }],
  });
  deps = {
    kube: new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    }),
    tests: [MYSQL, MILVUS, SLOW],
    pollSeconds: 30,
    now: () => new Date(sandbox.clock.now()),
  };
});

afterEach(async () => {
  await sandbox.stop();
});

describe('backupRestoreTest', () => {
  it('runs each test as a Job in the scratch namespace, watches it, collects its logs and deletes it', async () => {
    // Act: start, then check as the state machine does after each Wait.
    const started = await act<RestoreProgress>('start');
    await sandbox.settle();
    const created = sandbox.store.list(types['jobs.batch'], SCRATCH);
    await advance(30);
    const afterOnePoll = await act<RestoreProgress>('check', { run: RUN, restore: started });
    await advance(60);
    const afterTimeout = await act<RestoreProgress>('check', { run: RUN, restore: afterOnePoll });
    const finished = await act<RestoreTests>('finish', { run: RUN, restore: afterTimeout });
    // The garbage collector deletes the pods; the kubelet stops the running one within its grace period.
    await advance(35);

    // Assess: the Jobs as created.
    expect(started).toMatchObject({ pending: true, pollSeconds: 30 });
    expect(started.tests.map((t) => [t.name, t.job, t.state])).toEqual([
      ['mysql-restore', restoreJobName(MYSQL, RUN), 'running'],
      ['milvus-restore', restoreJobName(MILVUS, RUN), 'running'],
      ['slow-restore', restoreJobName(SLOW, RUN), 'running'],
    ]);
    const slowJob = created.find((j) => j.metadata.name === restoreJobName(SLOW, RUN))!;
    expect(slowJob.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'eks-incident-response',
      'eks-incident-response/backup-run': RUN.id,
      'eks-incident-response/restore-test': 'slow-restore',
    });
    expect(slowJob.spec).toMatchObject({
      activeDeadlineSeconds: 60,
      ttlSecondsAfterFinished: 86400,
      backoffLimit: 0,
      template: { spec: { restartPolicy: 'Never' } },
    });
    // Assess: what each check saw.
    expect(afterOnePoll.pending).toBe(true);
    expect(afterOnePoll.tests.map((t) => t.state)).toEqual(['succeeded', 'failed', 'running']);
    expect(afterOnePoll.tests[1]).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(afterTimeout.pending).toBe(false);
    expect(afterTimeout.tests[2]).toMatchObject({ state: 'timed-out', reason: 'DeadlineExceeded' });
    // Assess: the results, with logs, and nothing left behind.
    expect(finished.results.map((r) => [r.name, r.status, r.state, r.deleted])).toEqual([
      ['mysql-restore', 'passed', 'succeeded', true],
      ['milvus-restore', 'failed', 'failed', true],
      ['slow-restore', 'failed', 'timed-out', true],
    ]);
    expect(finished.results[0].logs).toEqual([
      {
        pod: expect.stringMatching(new RegExp(`^${restoreJobName(MYSQL, RUN)}-[a-z0-9]{5}$`)),
        container: 'restore',
        text: expect.stringContaining('[restore-test] OK'),
      },
    ]);
    expect(finished.results[0].durationSeconds).toBeGreaterThanOrEqual(20);
    expect(finished.results[1].findings).toEqual([
      {
        code: 'job-failed',
        message: expect.stringMatching(
          /^restore test milvus-restore \(Job backup-restore-test\/restore-milvus-restore-[0-9a-f]{6}\) failed \(BackoffLimitExceeded: .*\); its log ends: Error: restore failed: collection knowledge_chunks: segment 4521 not found$/,
        ),
      },
    ]);
    expect(finished.results[2].findings[0]).toMatchObject({
      code: 'timed-out',
      message: expect.stringContaining('did not finish within 60 s (DeadlineExceeded'),
    });
    expect(jobsInScratch()).toEqual([]);
    expect(sandbox.store.list(types.pods, SCRATCH)).toEqual([]);
  });

  it('writes only Jobs, only in the scratch namespace, as the RBAC for restore tests allows', async () => {
    // Act
    const started = await act<RestoreProgress>('start');
    await advance(30);
    await act<RestoreTests>('finish', {
      run: RUN,
      restore: await act('check', { run: RUN, restore: started }),
    });

    // Assess
    const requests = sandbox.requests.all();
    const writes = requests.filter((r) => ['create', 'update', 'patch', 'delete'].includes(r.verb));
    expect(new Set(writes.map((w) => `${w.verb} ${w.resource} ${w.namespace}`))).toEqual(
      new Set([`create jobs ${SCRATCH}`, `delete jobs ${SCRATCH}`]),
    );
    const refused = requests.filter(
      (r) =>
        !rbacAllows(
          {
            apiGroup: r.path.startsWith('/apis/') ? r.path.split('/')[2] : '',
            resource: r.subresource ? `${r.resource}/${r.subresource}` : r.resource!,
            verb: r.verb as RbacVerb,
            namespace: r.namespace,
          },
          [],
          [SCRATCH],
          'backup-restore-test',
        ),
    );
    expect(refused).toEqual([]);
  });

  it('is idempotent when the state machine retries Start: the Jobs of the first attempt are watched', async () => {
    // Act
    await act('start');
    const retried = await act<RestoreProgress>('start');

    // Assess
    expect(retried.tests.every((t) => t.state === 'running')).toBe(true);
    expect(jobsInScratch().sort()).toEqual([MYSQL, MILVUS, SLOW].map((t) => restoreJobName(t, RUN)).sort());
  });

  it('cleans up after a Catch: a test still running counts as an error, and its Job is deleted', async () => {
    // Prepare
    const started = await act<RestoreProgress>('start');
    await advance(2);

    // Act: Finish reached through Check's Catch.
    const finished = await act<RestoreTests>('finish', {
      run: RUN,
      restore: started,
      error: { Error: 'KubernetesTimeoutError', Cause: 'get jobs.batch: no answer within 5000 ms' },
    });

    // Assess
    expect(finished.error).toEqual({
      Error: 'KubernetesTimeoutError',
      Cause: 'get jobs.batch: no answer within 5000 ms',
    });
    expect(finished.results.map((r) => [r.state, r.findings[0]?.code, r.deleted])).toEqual([
      ['error', 'error', true],
      ['error', 'error', true],
      ['error', 'error', true],
    ]);
    expect(jobsInScratch()).toEqual([]);
  });

  it('cleans up after a Start that failed before it answered: the Jobs it made are found by name', async () => {
    // Prepare: Start made the Jobs, then its answer was lost (no $.restore in the state).
    await act('start');

    // Act
    const finished = await act<RestoreTests>('finish', {
      run: RUN,
      error: { Error: 'States.Timeout', Cause: 'Task timed out' },
    });

    // Assess
    expect(finished.results.every((r) => r.deleted && r.state === 'error')).toBe(true);
    expect(jobsInScratch()).toEqual([]);
  });

  it('reports a Job the API server refuses as an error of that test, without failing the others', async () => {
    // Prepare: a scratch namespace nobody created.
    deps.tests = [MYSQL, { ...MILVUS, namespace: 'no-such-namespace' }];

    // Act
    const started = await act<RestoreProgress>('start');
    const finished = await act<RestoreTests>('finish', { run: RUN, restore: started });

    // Assess
    expect(started.tests.map((t) => t.state)).toEqual(['running', 'error']);
    expect(started.tests[1]).toMatchObject({
      reason: 'CreateFailed',
      message: expect.stringMatching(/namespaces "no-such-namespace" not found/),
    });
    expect(finished.results[1].findings[0]).toMatchObject({ code: 'error' });
  });
});
