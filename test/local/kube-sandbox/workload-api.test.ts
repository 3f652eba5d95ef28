import { AppsV1Api, BatchV1Api } from '@kubernetes/client-node';
import { BEHAVIOR_ANNOTATION } from '../../../local/kube-sandbox/behavior';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { apiError, kubeConfigFor } from '../../support/kube';
import { statefulSetManifest } from '../../support/manifests';
import { elapse, elapseUntil, manualSandbox, START } from '../../support/sandbox';

const DAY = 86_400_000;
const CRONJOB_UID = '5e1c1a7e-0000-4000-8000-00000000b4c0';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** 02:00 UTC of the day `daysAgo` days before START (2026-03-01T12:00Z). */
function nightly(daysAgo: number): number {
  return Date.parse('2026-03-01T02:00:00Z') - daysAgo * DAY;
}

const backupTemplate = {
  metadata: {
    labels: { app: 'db-backup' },
    annotations: {
      [BEHAVIOR_ANNOTATION]: JSON.stringify({ backup: { mode: 'crash', logs: ['pg_dump: error'] } }),
    },
  },
  spec: { restartPolicy: 'Never', containers: [{ name: 'backup', image: 'postgres:16' }] },
};

/** A Job the backup CronJob made `daysAgo` days ago, finished as `outcome`, as the API would return it. */
function pastBackupJob(daysAgo: number, outcome: 'Complete' | 'Failed'): KubeObject {
  const scheduled = nightly(daysAgo);
  const started = scheduled + 1000;
  const finished = started + 6 * 60_000;
  const at = iso(finished);
  const conditions =
    outcome === 'Complete'
      ? [
          ['SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'],
          ['Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'],
        ]
      : [
          ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
          ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `db-backup-${Math.floor(scheduled / 60_000)}`,
      namespace: 'default',
      creationTimestamp: iso(scheduled),
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': iso(scheduled) },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: 'db-backup',
          uid: CRONJOB_UID,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { backoffLimit: 6, template: structuredClone(backupTemplate) },
    status: {
      startTime: iso(started),
      ...(outcome === 'Complete' ? { completionTime: at, succeeded: 1 } : { failed: 7 }),
      conditions: conditions.map(([type, reason, message]) => ({
        type,
        status: 'True',
        reason,
        message,
        lastProbeTime: at,
        lastTransitionTime: at,
      })),
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
    },
  };
}

/** "A backup CronJob that has not succeeded for 4 days, whose recent Jobs failed." */
function staleBackup(): KubeObject[] {
  return [
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {
        name: 'db-backup',
        namespace: 'default',
        uid: CRONJOB_UID,
        creationTimestamp: iso(START - 30 * DAY),
      },
      spec: {
        schedule: '0 2 * * *',
        failedJobsHistoryLimit: 3,
        jobTemplate: { spec: { backoffLimit: 6, template: backupTemplate } },
      },
      status: {
        lastScheduleTime: iso(nightly(0)),
        lastSuccessfulTime: iso(nightly(4) + 1000 + 6 * 60_000),
      },
    },
    pastBackupJob(4, 'Complete'),
    pastBackupJob(2, 'Failed'),
    pastBackupJob(1, 'Failed'),
    pastBackupJob(0, 'Failed'),
  ];
}

describe('workloads through @kubernetes/client-node', () => {
  let sandbox: Sandbox;

  afterEach(async () => {
    await sandbox.stop();
    expect(sandbox.controllerErrors).toEqual([]);
  });

  it('starts a scenario from a back-dated CronJob whose recent Jobs failed, and reads it back', async () => {
    // Prepare
    sandbox = await manualSandbox(staleBackup());
    const batch = kubeConfigFor(sandbox).makeApiClient(BatchV1Api);

    // Act
    await elapse(sandbox, 60_000, 10_000);
    const cronJob = await batch.readNamespacedCronJob({ namespace: 'default', name: 'db-backup' });
    const jobs = await batch.listNamespacedJob({ namespace: 'default' });

    // Assess
    expect(cronJob.metadata?.uid).toBe(CRONJOB_UID);
    expect(cronJob.metadata?.creationTimestamp).toEqual(new Date('2026-01-30T12:00:00Z'));
    expect(cronJob.status?.lastSuccessfulTime).toEqual(new Date('2026-02-25T02:06:01Z'));
    expect(cronJob.status?.lastScheduleTime).toEqual(new Date('2026-03-01T02:00:00Z'));
    expect(cronJob.status?.active).toBeUndefined();
    const byName = jobs.items.map((j) => [
      j.metadata?.name,
      j.metadata?.creationTimestamp?.toISOString(),
      j.status?.conditions?.find((c) => c.status === 'True' && (c.type === 'Complete' || c.type === 'Failed'))
        ?.type,
    ]);
    expect(byName).toEqual([
      ['db-backup-29533080', '2026-02-25T02:00:00.000Z', 'Complete'],
      ['db-backup-29535960', '2026-02-27T02:00:00.000Z', 'Failed'],
      ['db-backup-29537400', '2026-02-28T02:00:00.000Z', 'Failed'],
      ['db-backup-29538840', '2026-03-01T02:00:00.000Z', 'Failed'],
    ]);
    for (const job of jobs.items) {
      expect(job.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'CronJob',
        name: 'db-backup',
        uid: CRONJOB_UID,
      });
      expect(job.spec?.selector?.matchLabels).toEqual({
        'batch.kubernetes.io/controller-uid': job.metadata?.uid,
      });
    }
    const failed = jobs.items.find((j) => j.metadata?.name === 'db-backup-29538840')!;
    expect(failed.status).toMatchObject({ failed: 7, ready: 0, terminating: 0 });
    expect(failed.status?.conditions?.[1]).toMatchObject({
      type: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    // Finished Jobs start no pods, and nothing is due before tomorrow 02:00.
    expect(sandbox.store.list(types.pods, 'default')).toEqual([]);
  });

  it('runs a StatefulSet created over the API and serves its status and revisions', async () => {
    // Prepare
    sandbox = await manualSandbox();
    const apps = kubeConfigFor(sandbox).makeApiClient(AppsV1Api);

    // Act
    await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: statefulSetManifest('db', { replicas: 2 }) as never,
    });
    await elapseUntil(sandbox, () => {
      const s = sandbox.store.get(types['statefulsets.apps'], 'default', 'db');
      return (s?.status as { readyReplicas?: number } | undefined)?.readyReplicas === 2;
    });
    const set = await apps.readNamespacedStatefulSet({ namespace: 'default', name: 'db' });
    const revisions = await apps.listNamespacedControllerRevision({
      namespace: 'default',
      labelSelector: 'app=db',
    });
    const invalid = await apiError(
      apps.patchNamespacedStatefulSet({
        namespace: 'default',
        name: 'db',
        body: [{ op: 'replace', path: '/spec/serviceName', value: 'other' }],
      }),
    );

    // Assess
    expect(set.spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(set.status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      observedGeneration: 1,
    });
    expect(revisions.items.map((r) => r.metadata?.name)).toEqual([set.status?.updateRevision]);
    expect(invalid.code).toBe(422);
    expect(invalid.status.message).toBe(
      "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
  });
});
