import type { DaemonSetSpec, StatefulSetSpec } from 'kubernetes-types/apps/v1';
import type { CronJobSpec, JobSpec } from 'kubernetes-types/batch/v1';
import type { KubeObject, Writable } from '../../../local/kube-sandbox/store';
import {
  cronJobManifest,
  daemonSetManifest,
  jobManifest,
  statefulSetManifest,
} from '../../support/manifests';
import { admissionError, admitted } from '../../support/sandbox';

function rejection(storageKey: string, obj: KubeObject, old?: KubeObject): string {
  const error = admissionError(storageKey, obj, old);
  if (error?.code === 422) return error.message;
  throw error ?? new Error('expected a 422 Invalid');
}

type Sts = Writable<StatefulSetSpec>;
type Ds = Writable<DaemonSetSpec>;
type JobS = Writable<JobSpec>;
type Cj = Writable<CronJobSpec>;

/** A copy of `obj` with its spec changed by `change`. */
function withSpec<S>(obj: KubeObject, change: (spec: S) => void): KubeObject {
  const copy = structuredClone(obj);
  change(copy.spec as S);
  return copy;
}

describe('StatefulSet admission', () => {
  it('fills the apps/v1 defaults and an empty status', () => {
    // Act
    const set = admitted('statefulsets.apps', statefulSetManifest('db'));

    // Assess
    expect(set.spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      revisionHistoryLimit: 10,
      template: {
        spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 },
      },
    });
    expect(set.status).toEqual({ replicas: 0, availableReplicas: 0 });
  });

  it('accepts volume mounts of volumeClaimTemplates and defaults the claims', () => {
    // Prepare
    const manifest = withSpec<Sts>(statefulSetManifest('db'), (spec) => {
      spec.template.spec!.containers[0].volumeMounts = [{ name: 'data', mountPath: '/var/lib/mysql' }];
      spec.volumeClaimTemplates = [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ];
    });

    // Act
    const set = admitted('statefulsets.apps', manifest);

    // Assess
    expect((set.spec as Sts).volumeClaimTemplates![0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      spec: { volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    });
  });

  it('rejects a selector that misses the template labels and a non-Always restartPolicy', () => {
    // Prepare
    const manifest = withSpec<Sts>(statefulSetManifest('db'), (spec) => {
      spec.selector = { matchLabels: { app: 'other' } };
      spec.template.spec!.restartPolicy = 'Never';
    });

    // Act
    const message = rejection('statefulsets.apps', manifest);

    // Assess
    expect(message).toBe(
      'StatefulSet.apps "db" is invalid: [spec.template.metadata.labels: Invalid value: map[string]string{"app":"db"}: `selector` does not match template `labels`, spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"]',
    );
  });

  it('forbids changing fields other than replicas, template, updateStrategy and the like', () => {
    // Prepare
    const old = admitted('statefulsets.apps', statefulSetManifest('db'));
    const changed = withSpec<Sts>(old, (spec) => {
      spec.serviceName = 'other';
    });

    // Act
    const message = rejection('statefulsets.apps', changed, old);

    // Assess
    expect(message).toBe(
      "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
    expect(() =>
      admitted(
        'statefulsets.apps',
        withSpec<Sts>(old, (s) => (s.replicas = 5)),
        old,
      ),
    ).not.toThrow();
  });
});

describe('DaemonSet admission', () => {
  it('fills the defaults and counts template generations', () => {
    // Act
    const created = admitted('daemonsets.apps', daemonSetManifest('agent'));
    const relabelled = admitted(
      'daemonsets.apps',
      { ...created, metadata: { ...created.metadata, labels: { team: 'sre' } } },
      created,
    );
    const newImage = admitted(
      'daemonsets.apps',
      withSpec<Ds>(created, (spec) => (spec.template.spec!.containers[0].image = 'nginx:1.28')),
      created,
    );

    // Assess
    expect(created.spec).toMatchObject({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    });
    expect(created.status).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });
    const generation = (o: KubeObject) =>
      o.metadata.annotations?.['deprecated.daemonset.template.generation'];
    expect([generation(created), generation(relabelled), generation(newImage)]).toEqual(['1', '1', '2']);
  });

  it('rejects maxUnavailable 0 with maxSurge 0, and a changed selector', () => {
    // Prepare
    const old = admitted('daemonsets.apps', daemonSetManifest('agent'));
    const zero = withSpec<Ds>(daemonSetManifest('agent'), (spec) => {
      spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } };
    });
    const moved = withSpec<Ds>(old, (spec) => {
      spec.selector = { matchLabels: { app: 'agent', tier: 'node' } };
      spec.template.metadata!.labels!.tier = 'node';
    });

    // Act
    const zeroMessage = rejection('daemonsets.apps', zero);
    const movedMessage = rejection('daemonsets.apps', moved, old);

    // Assess
    expect(zeroMessage).toBe(
      'DaemonSet.apps "agent" is invalid: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    );
    expect(movedMessage).toBe(
      'DaemonSet.apps "agent" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"agent", "tier":"node"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
  });
});

describe('Job admission', () => {
  it('keeps the template immutable', () => {
    // Prepare
    const old = admitted('jobs.batch', jobManifest('migrate'));
    const changed = withSpec<JobS>(old, (spec) => (spec.template.spec!.containers[0].image = 'flyway:11'));

    // Act
    const message = rejection('jobs.batch', changed, old);

    // Assess
    expect(message).toBe(
      'Job.batch "migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable',
    );
  });

  it('leaves a manual selector alone and checks that it selects the template', () => {
    // Prepare
    const manual = withSpec<JobS>(jobManifest('manual'), (spec) => {
      spec.manualSelector = true;
      spec.selector = { matchLabels: { app: 'manual' } };
    });
    const wrong = withSpec<JobS>(manual, (spec) => (spec.selector = { matchLabels: { app: 'other' } }));

    // Act
    const accepted = admitted('jobs.batch', manual);
    const message = rejection('jobs.batch', wrong);

    // Assess
    expect((accepted.spec as JobS).selector).toEqual({ matchLabels: { app: 'manual' } });
    expect((accepted.spec as JobS).template.metadata?.labels).toEqual({ app: 'manual' });
    expect(message).toBe(
      'Job.batch "manual" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"manual"}: `selector` does not match template `labels`',
    );
  });
});

describe('CronJob admission', () => {
  it('fills the defaults, leaves the job template without Job defaults, and keeps a given status', () => {
    // Prepare
    const manifest = {
      ...cronJobManifest('backup', '0 2 * * *'),
      status: { lastScheduleTime: '2026-02-01T02:00:00Z' },
    };

    // Act
    const cj = admitted('cronjobs.batch', manifest);

    // Assess
    const spec = cj.spec as Cj;
    expect(spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(spec.jobTemplate.spec?.backoffLimit).toBeUndefined();
    expect(spec.jobTemplate.spec?.template.spec?.dnsPolicy).toBe('ClusterFirst');
    expect(cj.status).toEqual({ lastScheduleTime: '2026-02-01T02:00:00Z' });
  });

  it.each([
    [
      'a schedule with six fields',
      { schedule: '0 0 2 * * *' },
      'spec.schedule: Invalid value: "0 0 2 * * *": expected exactly 5 fields, found 6: [0 0 2 * * *]',
    ],
    [
      'a time zone in the schedule',
      { schedule: 'CRON_TZ=UTC 0 2 * * *' },
      'spec.schedule: Invalid value: "CRON_TZ=UTC 0 2 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ],
    [
      'an unknown time zone',
      { timeZone: 'Mars/Olympus' },
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    ],
    [
      'an unknown concurrency policy',
      { concurrencyPolicy: 'Sometimes' },
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    ],
  ])('rejects %s', (_what, change, expected) => {
    // Prepare
    const manifest = withSpec<Cj>(cronJobManifest('backup', '0 2 * * *'), (spec) =>
      Object.assign(spec, change),
    );

    // Act
    const message = rejection('cronjobs.batch', manifest);

    // Assess
    expect(message).toBe(`CronJob.batch "backup" is invalid: ${expected}`);
  });

  it('rejects names longer than 52 characters and a job template with restartPolicy Always', () => {
    // Prepare
    const name = 'a'.repeat(53);
    const manifest = withSpec<Cj>({ ...cronJobManifest(name, '@hourly') }, (spec) => {
      delete spec.jobTemplate.spec!.template.spec!.restartPolicy;
    });

    // Act
    const message = rejection('cronjobs.batch', manifest);

    // Assess
    expect(message).toBe(
      `CronJob.batch "${name}" is invalid: [metadata.name: Invalid value: "${name}": must be no more than 52 characters, spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"]`,
    );
  });
});
