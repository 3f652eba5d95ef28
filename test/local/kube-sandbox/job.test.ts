import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { ApiError } from '../../../local/kube-sandbox/errors';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { types } from '../../../local/kube-sandbox/runtime';
import { jobManifest } from '../../support/manifests';
import {
  elapse,
  elapseUntil,
  eventMessages,
  get,
  manualSandbox,
  podsControlledBy,
  START,
  storedEvents,
  updateObject,
} from '../../support/sandbox';

type JobObject = Job & KubeObject;
type PodObject = Pod & KubeObject;

function getJob(sandbox: Sandbox, name: string): JobObject {
  return get(sandbox, 'jobs.batch', name) as JobObject;
}

function pods(sandbox: Sandbox, name: string): PodObject[] {
  return podsControlledBy(sandbox, getJob(sandbox, name).metadata.uid!) as PodObject[];
}

function finished(sandbox: Sandbox, name: string): boolean {
  return (getJob(sandbox, name).status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

function conditions(j: JobObject): Array<[string, string, string | undefined]> {
  return (j.status?.conditions ?? []).map((c) => [c.type, c.status, c.reason]);
}

describe('Job controller', () => {
  let sandbox: Sandbox;

  afterEach(async () => {
    await sandbox.stop();
    expect(sandbox.controllerErrors).toEqual([]);
  });

  it('runs a pod to completion and completes the Job as 1.32 reports it', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    const [created] = sandbox.apply([
      jobManifest('migrate', {}, { app: { mode: 'complete', runSeconds: 5 } }),
    ]);
    await sandbox.settle();
    const running = pods(sandbox, 'migrate');
    const done = await elapseUntil(sandbox, () => finished(sandbox, 'migrate'));

    // Assess
    expect(done).toBe(true);
    const uid = created.metadata.uid!;
    expect(running).toHaveLength(1);
    expect(running[0].metadata.name).toMatch(/^migrate-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(running[0].metadata.labels).toEqual({
      app: 'migrate',
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'migrate',
      'controller-uid': uid,
      'job-name': 'migrate',
    });
    expect(running[0].metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    const j = getJob(sandbox, 'migrate');
    expect(conditions(j)).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    expect(j.status).toMatchObject({
      startTime: '2026-03-01T12:00:00Z',
      succeeded: 1,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
    });
    expect(Date.parse(j.status!.completionTime!)).toBeGreaterThan(START);
    expect(j.status?.active).toBeUndefined();
    expect(pods(sandbox, 'migrate')[0].metadata.finalizers).toBeUndefined();
    expect(pods(sandbox, 'migrate')[0].status?.phase).toBe('Succeeded');
    expect(eventMessages(sandbox, 'migrate')).toEqual([
      `SuccessfulCreate: Created pod: ${running[0].metadata.name}`,
      'Completed: Job completed',
    ]);
  });

  it('runs parallelism pods at a time until completions succeed', async () => {
    // Prepare
    sandbox = await manualSandbox();
    let mostActive = 0;
    sandbox.store.subscribe(({ storageKey, object }) => {
      if (storageKey !== 'jobs.batch') return;
      mostActive = Math.max(mostActive, (object as JobObject).status?.active ?? 0);
    });

    // Act
    sandbox.apply([
      jobManifest('batch', { completions: 5, parallelism: 2 }, { app: { mode: 'complete', runSeconds: 5 } }),
    ]);
    const done = await elapseUntil(sandbox, () => finished(sandbox, 'batch'));

    // Assess
    expect(done).toBe(true);
    expect(mostActive).toBe(2);
    expect(getJob(sandbox, 'batch').status?.succeeded).toBe(5);
    expect(pods(sandbox, 'batch')).toHaveLength(5);
  });

  it('fails with BackoffLimitExceeded after backoffLimit retries, backing off between them', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    sandbox.apply([
      jobManifest(
        'backup',
        { backoffLimit: 2 },
        { app: { mode: 'crash', runSeconds: 2, logs: ['disk full'] } },
      ),
    ]);
    const done = await elapseUntil(sandbox, () => finished(sandbox, 'backup'));

    // Assess
    expect(done).toBe(true);
    const j = getJob(sandbox, 'backup');
    expect(conditions(j)).toEqual([
      ['FailureTarget', 'True', 'BackoffLimitExceeded'],
      ['Failed', 'True', 'BackoffLimitExceeded'],
    ]);
    expect(j.status?.conditions?.[1].message).toBe('Job has reached the specified backoff limit');
    expect(j.status).toMatchObject({ failed: 3, ready: 0, terminating: 0 });
    expect(j.status?.completionTime).toBeUndefined();
    const created = pods(sandbox, 'backup')
      .map((p) => Date.parse(p.metadata.creationTimestamp!))
      .sort((a, b) => a - b);
    expect(created).toHaveLength(3);
    expect(created[1] - created[0]).toBeGreaterThanOrEqual(10_000);
    expect(created[2] - created[1]).toBeGreaterThanOrEqual(20_000);
    expect(pods(sandbox, 'backup').map((p) => p.status?.phase)).toEqual(['Failed', 'Failed', 'Failed']);
    expect(eventMessages(sandbox, 'backup').slice(-1)).toEqual([
      'BackoffLimitExceeded: Job has reached the specified backoff limit',
    ]);
    expect(storedEvents(sandbox, 'backup').find((e) => e.reason === 'BackoffLimitExceeded')?.type).toBe(
      'Warning',
    );
  });

  it('counts container restarts against backoffLimit with restartPolicy OnFailure and deletes the pod', async () => {
    // Prepare
    sandbox = await manualSandbox();
    const manifest = jobManifest('flaky', { backoffLimit: 1 }, { app: { mode: 'crash', runSeconds: 1 } });
    (manifest.spec as Job['spec'] & object).template.spec!.restartPolicy = 'OnFailure';

    // Act
    sandbox.apply([manifest]);
    const done = await elapseUntil(sandbox, () => finished(sandbox, 'flaky'));

    // Assess
    expect(done).toBe(true);
    expect(conditions(getJob(sandbox, 'flaky'))).toEqual([
      ['FailureTarget', 'True', 'BackoffLimitExceeded'],
      ['Failed', 'True', 'BackoffLimitExceeded'],
    ]);
    expect(pods(sandbox, 'flaky')).toEqual([]);
    expect(getJob(sandbox, 'flaky').status?.failed).toBe(1);
  });

  it('fails with DeadlineExceeded when it runs longer than activeDeadlineSeconds', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    sandbox.apply([jobManifest('slow', { activeDeadlineSeconds: 30 })]);
    await elapse(sandbox, 29_000);
    const before = finished(sandbox, 'slow');
    const done = await elapseUntil(sandbox, () => finished(sandbox, 'slow'));

    // Assess
    expect(before).toBe(false);
    expect(done).toBe(true);
    expect(conditions(getJob(sandbox, 'slow'))).toEqual([
      ['FailureTarget', 'True', 'DeadlineExceeded'],
      ['Failed', 'True', 'DeadlineExceeded'],
    ]);
    expect(eventMessages(sandbox, 'slow', 'DeadlineExceeded')).toEqual([
      'DeadlineExceeded: Job was active longer than specified deadline',
    ]);
    expect(pods(sandbox, 'slow')).toEqual([]);
  });

  it('deletes a finished Job after ttlSecondsAfterFinished', async () => {
    // Prepare
    sandbox = await manualSandbox();
    sandbox.apply([
      jobManifest('once', { ttlSecondsAfterFinished: 60 }, { app: { mode: 'complete', runSeconds: 1 } }),
    ]);
    await elapseUntil(sandbox, () => finished(sandbox, 'once'));

    // Act
    await elapse(sandbox, 61_000, 5000);

    // Assess
    expect(sandbox.store.get(types['jobs.batch'], 'default', 'once')).toBeUndefined();
  });

  it('suspends and resumes', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    sandbox.apply([jobManifest('later', { suspend: true }, { app: { mode: 'complete', runSeconds: 1 } })]);
    await elapse(sandbox, 5000);
    const whileSuspended = { pods: pods(sandbox, 'later').length, job: getJob(sandbox, 'later') };
    await updateObject(sandbox, 'jobs.batch', 'later', (o) => {
      (o as JobObject).spec!.suspend = false;
    });
    const done = await elapseUntil(sandbox, () => finished(sandbox, 'later'));

    // Assess
    expect(whileSuspended.pods).toBe(0);
    expect(conditions(whileSuspended.job)).toEqual([['Suspended', 'True', 'JobSuspended']]);
    expect(whileSuspended.job.status?.startTime).toBeUndefined();
    expect(done).toBe(true);
    expect(conditions(getJob(sandbox, 'later'))).toEqual([
      ['Suspended', 'False', 'JobResumed'],
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    expect(getJob(sandbox, 'later').status?.startTime).toBe('2026-03-01T12:00:05Z');
    expect(eventMessages(sandbox, 'later', 'Suspended')).toEqual(['Suspended: Job suspended']);
    expect(eventMessages(sandbox, 'later', 'Resumed')).toEqual(['Resumed: Job resumed']);
  });

  it('generates the selector from the uid and rejects restartPolicy Always', async () => {
    // Prepare
    sandbox = await manualSandbox();
    const always = jobManifest('bad');
    delete (always.spec as Job['spec'] & object).template.spec!.restartPolicy;

    // Act
    const [created] = sandbox.apply([jobManifest('good')]);
    let rejection: unknown;
    try {
      sandbox.apply([always]);
    } catch (error) {
      rejection = error;
    }

    // Assess
    expect((created as JobObject).spec?.selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': created.metadata.uid },
    });
    expect((created as JobObject).spec).toMatchObject({
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      completions: 1,
      manualSelector: false,
      parallelism: 1,
      podReplacementPolicy: 'TerminatingOrFailed',
      suspend: false,
    });
    expect(created.metadata.labels).toEqual((created as JobObject).spec?.template.metadata?.labels);
    expect(rejection).toBeInstanceOf(ApiError);
    expect((rejection as ApiError).message).toBe(
      'Job.batch "bad" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );
  });
});
