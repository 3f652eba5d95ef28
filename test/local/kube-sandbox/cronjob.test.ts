import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { cronJobManifest } from '../../support/manifests';
import {
  elapse,
  elapseUntil,
  eventMessages,
  get,
  manualSandbox,
  START,
  updateObject,
} from '../../support/sandbox';

type CronJobObject = CronJob & KubeObject;
type JobObject = Job & KubeObject;

const MINUTE = 60_000;

function cj(sandbox: Sandbox, name: string): CronJobObject {
  return get(sandbox, 'cronjobs.batch', name) as CronJobObject;
}

function jobsOf(sandbox: Sandbox, name: string): JobObject[] {
  const uid = cj(sandbox, name).metadata.uid;
  return (sandbox.store.list(types['jobs.batch'], 'default') as JobObject[])
    .filter((j) => j.metadata.ownerReferences?.some((r) => r.uid === uid))
    .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
}

function jobName(name: string, scheduled: number): string {
  return `${name}-${Math.floor(scheduled / MINUTE)}`;
}

function finishedAs(j: JobObject): string | undefined {
  return j.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  )?.type;
}

describe('CronJob controller', () => {
  let sandbox: Sandbox;

  afterEach(async () => {
    await sandbox.stop();
    expect(sandbox.controllerErrors).toEqual([]);
  });

  it('creates the Job of each schedule time and records its completion', async () => {
    // Prepare
    sandbox = await manualSandbox([cronJobManifest('report', '*/5 * * * *')]);
    const scheduled = START + 5 * MINUTE;

    // Act
    await elapse(sandbox, 5 * MINUTE - 1000, 10_000);
    const early = jobsOf(sandbox, 'report').length;
    await elapse(sandbox, 2000);
    const created = jobsOf(sandbox, 'report');
    const whileRunning = cj(sandbox, 'report').status;
    const done = await elapseUntil(sandbox, () => finishedAs(jobsOf(sandbox, 'report')[0]) === 'Complete');
    await sandbox.settle();

    // Assess
    expect(early).toBe(0);
    expect(created.map((j) => j.metadata.name)).toEqual([jobName('report', scheduled)]);
    const job = created[0];
    expect(job.metadata.annotations).toEqual({
      'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-03-01T12:05:00Z',
    });
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'report',
        uid: cj(sandbox, 'report').metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(whileRunning).toEqual({
      active: [
        {
          kind: 'Job',
          namespace: 'default',
          name: job.metadata.name,
          uid: job.metadata.uid,
          apiVersion: 'batch/v1',
          resourceVersion: expect.any(String),
        },
      ],
      lastScheduleTime: '2026-03-01T12:05:00Z',
    });
    expect(done).toBe(true);
    const finished = jobsOf(sandbox, 'report')[0];
    expect(cj(sandbox, 'report').status).toEqual({
      lastScheduleTime: '2026-03-01T12:05:00Z',
      lastSuccessfulTime: finished.status?.completionTime,
    });
    expect(eventMessages(sandbox, 'report')).toEqual([
      `SuccessfulCreate: Created job ${job.metadata.name}`,
      `SawCompletedJob: Saw completed job: ${job.metadata.name}, condition: Complete`,
    ]);
  });

  it('keeps successfulJobsHistoryLimit finished Jobs and deletes older ones', async () => {
    // Prepare
    sandbox = await manualSandbox([cronJobManifest('tick', '* * * * *', { successfulJobsHistoryLimit: 2 })]);

    // Act
    await elapse(sandbox, 5 * MINUTE + 30_000);

    // Assess
    const remaining = jobsOf(sandbox, 'tick');
    expect(remaining.map((j) => j.metadata.name)).toEqual([
      jobName('tick', START + 4 * MINUTE),
      jobName('tick', START + 5 * MINUTE),
    ]);
    expect(eventMessages(sandbox, 'tick', 'SuccessfulDelete')).toEqual([
      `SuccessfulDelete: Deleted job ${jobName('tick', START + MINUTE)}`,
      `SuccessfulDelete: Deleted job ${jobName('tick', START + 2 * MINUTE)}`,
      `SuccessfulDelete: Deleted job ${jobName('tick', START + 3 * MINUTE)}`,
    ]);
  });

  it('skips a schedule while the previous Job runs with concurrencyPolicy Forbid', async () => {
    // Prepare
    sandbox = await manualSandbox([
      cronJobManifest('sync', '* * * * *', { concurrencyPolicy: 'Forbid' }, { app: { mode: 'healthy' } }),
    ]);

    // Act
    await elapse(sandbox, 3 * MINUTE + 5000, 5000);

    // Assess
    expect(jobsOf(sandbox, 'sync').map((j) => j.metadata.name)).toEqual([jobName('sync', START + MINUTE)]);
    expect(eventMessages(sandbox, 'sync', 'JobAlreadyActive')).toEqual([
      'JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid',
    ]);
    expect(cj(sandbox, 'sync').status?.lastScheduleTime).toBe('2026-03-01T12:01:00Z');
  });

  it('replaces the running Job with concurrencyPolicy Replace', async () => {
    // Prepare
    sandbox = await manualSandbox([
      cronJobManifest('sync', '* * * * *', { concurrencyPolicy: 'Replace' }, { app: { mode: 'healthy' } }),
    ]);

    // Act
    await elapse(sandbox, 2 * MINUTE + 5000, 5000);

    // Assess
    const second = jobName('sync', START + 2 * MINUTE);
    expect(jobsOf(sandbox, 'sync').map((j) => j.metadata.name)).toEqual([second]);
    expect(eventMessages(sandbox, 'sync', 'SuccessfulDelete')).toEqual([
      `SuccessfulDelete: Deleted job ${jobName('sync', START + MINUTE)}`,
    ]);
    expect(cj(sandbox, 'sync').status?.active?.map((r) => r.name)).toEqual([second]);
  });

  it('creates nothing while suspended, and schedules again when resumed', async () => {
    // Prepare
    sandbox = await manualSandbox([cronJobManifest('paused', '* * * * *', { suspend: true })]);

    // Act
    await elapse(sandbox, 3 * MINUTE, 10_000);
    const whileSuspended = jobsOf(sandbox, 'paused').length;
    await updateObject(sandbox, 'cronjobs.batch', 'paused', (o) => {
      (o as CronJobObject).spec!.suspend = false;
    });

    // Assess
    expect(whileSuspended).toBe(0);
    // Resuming catches up on the most recent missed time at once, as the real controller does.
    expect(jobsOf(sandbox, 'paused').map((j) => j.metadata.name)).toEqual([
      jobName('paused', START + 3 * MINUTE),
    ]);
  });

  it('evaluates the schedule in spec.timeZone', async () => {
    // Prepare: 21:30 in Seoul is 12:30 UTC.
    sandbox = await manualSandbox([cronJobManifest('seoul', '30 21 * * *', { timeZone: 'Asia/Seoul' })]);

    // Act
    await elapse(sandbox, 31 * MINUTE, 30_000);

    // Assess
    const [job] = jobsOf(sandbox, 'seoul');
    expect(job.metadata.name).toBe(jobName('seoul', START + 30 * MINUTE));
    expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2026-03-01T21:30:00+09:00',
    );
  });

  it('catches up on a missed time only within startingDeadlineSeconds', async () => {
    // Prepare: both last ran two hours ago; the 11:30 run was missed.
    const status = { lastScheduleTime: '2026-03-01T10:30:00Z' };
    const strict = { ...cronJobManifest('strict', '30 * * * *', { startingDeadlineSeconds: 300 }), status };
    const lenient = { ...cronJobManifest('lenient', '30 * * * *'), status };

    // Act
    sandbox = await manualSandbox([strict, lenient]);
    await sandbox.settle();

    // Assess
    expect(jobsOf(sandbox, 'strict')).toEqual([]);
    expect(jobsOf(sandbox, 'lenient').map((j) => j.metadata.name)).toEqual([
      jobName('lenient', Date.parse('2026-03-01T11:30:00Z')),
    ]);
  });

  it('records a failed Job without moving lastSuccessfulTime', async () => {
    // Prepare
    sandbox = await manualSandbox([
      cronJobManifest(
        'backup',
        '*/10 * * * *',
        { jobTemplate: { spec: { backoffLimit: 0, template: failingTemplate() } } },
        undefined,
      ),
    ]);

    // Act
    const done = await elapseUntil(
      sandbox,
      () => jobsOf(sandbox, 'backup').some((j) => finishedAs(j) === 'Failed'),
      15 * MINUTE,
    );
    await sandbox.settle();

    // Assess
    expect(done).toBe(true);
    const [job] = jobsOf(sandbox, 'backup');
    expect(eventMessages(sandbox, 'backup', 'SawCompletedJob')).toEqual([
      `SawCompletedJob: Saw completed job: ${job.metadata.name}, condition: Failed`,
    ]);
    expect(cj(sandbox, 'backup').status).toEqual({ lastScheduleTime: '2026-03-01T12:10:00Z' });
  });
});

function failingTemplate(): Record<string, unknown> {
  return {
    metadata: {
      labels: { app: 'backup' },
      annotations: {
        'sandbox.eks-incident.dev/behavior': JSON.stringify({ app: { mode: 'crash', runSeconds: 2 } }),
      },
    },
    spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'postgres:16' }] },
  };
}
