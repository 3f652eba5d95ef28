import { randomUUID } from 'node:crypto';
import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { CronJob, Job, JobSpec } from 'kubernetes-types/batch/v1';
import type { PodSpec } from 'kubernetes-types/core/v1';
import { isKnownTimeZone, parseSchedule, ScheduleError } from '../controllers/cron-schedule';
import type { KubeObject, Writable } from '../store';
import {
  GoSyntax,
  forbidden,
  goLabelSelector,
  goStringMap,
  invalid,
  nonNegative,
  notSupported,
  required,
} from './fields';
import { defaultPodTemplate, defaultTemplateMetadata, validatePodSpec } from './pod';
import type { AdmissionTable, FieldCause } from './types';
import {
  sameSelector,
  selectorImmutable,
  semanticallyEqual,
  validateRollingBudgets,
  validateSelector,
  validateServiceTemplate,
} from './workload-common';

/*
 * StatefulSets, DaemonSets (apps/v1), Jobs and CronJobs (batch/v1): the defaulting of
 * pkg/apis/{apps,batch}/v1/defaults.go, what their registry strategies add on create (a Job's
 * generated selector, a DaemonSet's template generation), and the validation clients run into.
 * A status given on create is kept: the sandbox's own `apply()` uses that to start scenarios
 * with history (a CronJob that last succeeded days ago).
 */

type StatefulSetObject = KubeObject & Writable<StatefulSet>;
type DaemonSetObject = KubeObject & Writable<DaemonSet>;
type JobObject = KubeObject & Writable<Job>;
type CronJobObject = KubeObject & Writable<CronJob>;

export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const LEGACY_JOB_NAME_LABEL = 'job-name';
const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/* ---------------------------------------------------------------- StatefulSet */

const STATEFULSET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

function defaultStatefulSet(obj: KubeObject): void {
  const set = obj as StatefulSetObject;
  const spec = (set.spec ??= { selector: undefined as never, template: {}, serviceName: '' });
  spec.podManagementPolicy ||= 'OrderedReady';
  const strategy = (spec.updateStrategy ??= {});
  if (!strategy.type) {
    strategy.type = 'RollingUpdate';
    strategy.rollingUpdate ??= {};
  }
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate) strategy.rollingUpdate.partition ??= 0;
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  retention.whenDeleted ||= 'Retain';
  retention.whenScaled ||= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec.template);
  for (const claim of spec.volumeClaimTemplates ?? []) {
    defaultTemplateMetadata(claim);
    claim.apiVersion ??= 'v1';
    claim.kind ??= 'PersistentVolumeClaim';
    if (claim.spec) claim.spec.volumeMode ??= 'Filesystem';
    claim.status ??= { phase: 'Pending' };
  }
  // StatefulSetStatus.replicas and availableReplicas have no omitempty.
  set.status ??= { replicas: 0, availableReplicas: 0 };
}

function validateStatefulSet(obj: KubeObject, old?: KubeObject): FieldCause[] {
  const set = obj as StatefulSetObject;
  const spec = set.spec;
  const causes: FieldCause[] = [];
  const policy = spec?.podManagementPolicy ?? '';
  if (policy !== 'OrderedReady' && policy !== 'Parallel') {
    causes.push(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const strategy = spec?.updateStrategy ?? {};
  if (strategy.type === 'OnDelete') {
    if (strategy.rollingUpdate) {
      causes.push(
        invalid(
          'spec.updateStrategy.rollingUpdate',
          new GoSyntax('apps.RollingUpdateStatefulSetStrategy{...}'),
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
    }
  } else if (strategy.type === 'RollingUpdate') {
    causes.push(
      ...nonNegative(strategy.rollingUpdate?.partition, 'spec.updateStrategy.rollingUpdate.partition'),
    );
  } else {
    causes.push(invalid('spec.updateStrategy', strategy.type ?? '', "must be 'RollingUpdate' or 'OnDelete'"));
  }
  causes.push(
    ...nonNegative(spec?.replicas, 'spec.replicas'),
    ...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'),
    ...nonNegative(spec?.ordinals?.start, 'spec.ordinals.start'),
    ...validateSelector(spec?.selector, spec?.template, 'statefulset'),
    ...validateServiceTemplate(
      spec?.template,
      'StatefulSet',
      (spec?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? ''),
    ),
  );
  if (old) {
    const oldSpec = (old as StatefulSetObject).spec as Record<string, unknown> | undefined;
    const fixed = (s: Record<string, unknown> | undefined): Record<string, unknown> =>
      Object.fromEntries(Object.entries(s ?? {}).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
    if (!semanticallyEqual(fixed(spec as Record<string, unknown>), fixed(oldSpec))) {
      causes.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return causes;
}

/* ---------------------------------------------------------------- DaemonSet */

function defaultDaemonSet(obj: KubeObject, old?: KubeObject): void {
  const ds = obj as DaemonSetObject;
  const spec = (ds.spec ??= { selector: undefined as never, template: {} });
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = (strategy.rollingUpdate ??= {});
    rolling.maxUnavailable ??= 1;
    rolling.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec.template);
  // The registry strategy's templateGeneration, which apps/v1 shows as this annotation.
  const previous = Number(old?.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? 0);
  const templateChanged = !old || !semanticallyEqual((old as DaemonSetObject).spec?.template, spec.template);
  const generation = templateChanged ? previous + 1 : Math.max(previous, 1);
  ds.metadata.annotations = {
    ...ds.metadata.annotations,
    [TEMPLATE_GENERATION_ANNOTATION]: String(generation),
  };
  ds.status ??= {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  };
}

function validateDaemonSet(obj: KubeObject, old?: KubeObject): FieldCause[] {
  const ds = obj as DaemonSetObject;
  const spec = ds.spec;
  const causes = [
    ...validateSelector(spec?.selector, spec?.template, 'daemonset'),
    ...validateServiceTemplate(spec?.template, 'DaemonSet'),
    ...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'),
    ...nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
  ];
  const strategy = spec?.updateStrategy ?? {};
  if (strategy.type === 'RollingUpdate') {
    const rolling = strategy.rollingUpdate ?? {};
    const at = 'spec.updateStrategy.rollingUpdate';
    causes.push(...validateRollingBudgets(rolling, at));
  } else if (strategy.type !== 'OnDelete') {
    causes.push(notSupported('spec.updateStrategy.type', strategy.type ?? '', ['OnDelete', 'RollingUpdate']));
  }
  if (old) causes.push(...selectorImmutable(spec?.selector, (old as DaemonSetObject).spec?.selector));
  return causes;
}

/* ---------------------------------------------------------------- Job */

/** SetDefaults_Job's fields of a JobSpec (CronJob job templates get none of them, as in Kubernetes). */
function defaultJobSpec(spec: Writable<JobSpec>): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.completionMode ||= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ||= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  spec.manualSelector ??= false;
}

function defaultJob(obj: KubeObject, old?: KubeObject): void {
  const job = obj as JobObject;
  const spec = (job.spec ??= { template: {} });
  defaultJobSpec(spec);
  defaultPodTemplate(spec.template);
  if (!old && !spec.manualSelector) {
    // The API server assigns the uid before the Job strategy builds the selector from it; a uid
    // given to the sandbox's own apply() (scenarios wiring owners up) is kept.
    job.metadata.uid ??= randomUUID();
    const uid = job.metadata.uid;
    const name = job.metadata.name ?? '';
    const template = (spec.template ??= {});
    const metadata = (template.metadata ??= {});
    metadata.labels = {
      ...metadata.labels,
      [JOB_CONTROLLER_UID_LABEL]: metadata.labels?.[JOB_CONTROLLER_UID_LABEL] ?? uid,
      [JOB_NAME_LABEL]: metadata.labels?.[JOB_NAME_LABEL] ?? name,
      [LEGACY_CONTROLLER_UID_LABEL]: metadata.labels?.[LEGACY_CONTROLLER_UID_LABEL] ?? uid,
      [LEGACY_JOB_NAME_LABEL]: metadata.labels?.[LEGACY_JOB_NAME_LABEL] ?? name,
    };
    const selector = (spec.selector ??= {});
    selector.matchLabels = { ...selector.matchLabels };
    selector.matchLabels[JOB_CONTROLLER_UID_LABEL] ??= uid;
  }
  if (Object.keys(job.metadata.labels ?? {}).length === 0 && spec.template?.metadata?.labels) {
    job.metadata.labels = { ...spec.template.metadata.labels };
  }
  job.status ??= {};
}

function jobRestartPolicy(spec: Writable<PodSpec> | undefined, field: string): FieldCause[] {
  const policy = spec?.restartPolicy ?? '';
  if (policy === 'OnFailure' || policy === 'Never') return [];
  if (!policy) return [required(field, 'valid values: "OnFailure", "Never"')];
  return [notSupported(field, policy, ['OnFailure', 'Never'])];
}

function validateJobSpec(spec: Writable<JobSpec> | undefined, path: string): FieldCause[] {
  return [
    ...nonNegative(spec?.parallelism, `${path}.parallelism`),
    ...nonNegative(spec?.completions, `${path}.completions`),
    ...nonNegative(spec?.backoffLimit, `${path}.backoffLimit`),
    ...nonNegative(spec?.activeDeadlineSeconds, `${path}.activeDeadlineSeconds`),
    ...nonNegative(spec?.ttlSecondsAfterFinished, `${path}.ttlSecondsAfterFinished`),
    ...(spec?.completionMode && !['NonIndexed', 'Indexed'].includes(spec.completionMode)
      ? [notSupported(`${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed'])]
      : []),
    ...(spec?.completionMode === 'Indexed' && (spec.completions === undefined || spec.completions === null)
      ? [required(`${path}.completions`, 'when completion mode is Indexed')]
      : []),
    ...validatePodSpec(spec?.template?.spec as PodSpec | undefined, `${path}.template.spec`),
    ...jobRestartPolicy(spec?.template?.spec, `${path}.template.spec.restartPolicy`),
  ];
}

/** ValidateGeneratedSelector: without manualSelector, the selector is the generated one. */
function validateGeneratedSelector(job: JobObject): FieldCause[] {
  const spec = job.spec;
  if (spec?.manualSelector) return [];
  const uid = job.metadata.uid ?? '';
  const labels = spec?.template?.metadata?.labels ?? {};
  const causes: FieldCause[] = [];
  for (const [key, value] of [
    [LEGACY_CONTROLLER_UID_LABEL, uid],
    [LEGACY_JOB_NAME_LABEL, job.metadata.name ?? ''],
    [JOB_CONTROLLER_UID_LABEL, uid],
    [JOB_NAME_LABEL, job.metadata.name ?? ''],
  ]) {
    const field = `spec.template.metadata.labels[${key}]`;
    if (!(key in labels)) causes.push(required(field, `must be '${value}'`));
    else if (labels[key] !== value) causes.push(invalid(field, goStringMap(labels), `must be '${value}'`));
  }
  const expected = { matchLabels: { [JOB_CONTROLLER_UID_LABEL]: uid } };
  if (!sameSelector(spec?.selector, expected)) {
    causes.push(invalid('spec.selector', goLabelSelector(spec?.selector), '`selector` not auto-generated'));
  }
  return causes;
}

function validateJob(obj: KubeObject, old?: KubeObject): FieldCause[] {
  const job = obj as JobObject;
  const spec = job.spec;
  const causes = validateJobSpec(spec, 'spec');
  if (spec?.manualSelector) causes.push(...validateSelector(spec.selector, spec.template, 'job'));
  else if (!old) causes.push(...validateGeneratedSelector(job));
  if (old) {
    const oldSpec = (old as JobObject).spec;
    causes.push(...selectorImmutable(spec?.selector, oldSpec?.selector));
    if (!semanticallyEqual(spec?.template, oldSpec?.template)) {
      causes.push(invalid('spec.template', new GoSyntax('core.PodTemplateSpec{...}'), 'field is immutable'));
    }
    if (!semanticallyEqual(spec?.completions, oldSpec?.completions)) {
      causes.push(invalid('spec.completions', spec?.completions, 'field is immutable'));
    }
    if (!semanticallyEqual(spec?.completionMode, oldSpec?.completionMode)) {
      causes.push(invalid('spec.completionMode', spec?.completionMode ?? '', 'field is immutable'));
    }
  }
  return causes;
}

/* ---------------------------------------------------------------- CronJob */

function defaultCronJob(obj: KubeObject): void {
  const cj = obj as CronJobObject;
  const spec = (cj.spec ??= { schedule: '', jobTemplate: {} });
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  if (spec.jobTemplate) {
    defaultTemplateMetadata(spec.jobTemplate);
    defaultPodTemplate(spec.jobTemplate.spec?.template);
  }
  cj.status ??= {};
}

function validateCronJob(obj: KubeObject, old?: KubeObject): FieldCause[] {
  const cj = obj as CronJobObject;
  const spec = cj.spec;
  const causes: FieldCause[] = [];
  const schedule = spec?.schedule ?? '';
  const timeZone = spec?.timeZone ?? undefined;
  if (!schedule) {
    causes.push(required('spec.schedule'));
  } else if (
    /(^|\s)(CRON_)?TZ=/.test(schedule) &&
    (!old || (old as CronJobObject).spec?.schedule !== schedule)
  ) {
    causes.push(
      invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'),
    );
  } else {
    try {
      parseSchedule(schedule);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      causes.push(invalid('spec.schedule', schedule, error.message));
    }
  }
  if (timeZone !== undefined) {
    if (timeZone.toLowerCase() === 'local') {
      causes.push(
        invalid(
          'spec.timeZone',
          timeZone,
          'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
        ),
      );
    } else if (!isKnownTimeZone(timeZone)) {
      causes.push(invalid('spec.timeZone', timeZone, `unknown time zone ${timeZone}`));
    }
  }
  const policy = spec?.concurrencyPolicy ?? '';
  if (!['Allow', 'Forbid', 'Replace'].includes(policy)) {
    causes.push(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  }
  causes.push(
    ...nonNegative(spec?.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'),
    ...nonNegative(spec?.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'),
    ...nonNegative(spec?.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'),
    ...validateJobSpec(spec?.jobTemplate?.spec, 'spec.jobTemplate.spec'),
  );
  return causes;
}

export const workloadAdmission: AdmissionTable = {
  'statefulsets.apps': { default: defaultStatefulSet, validate: validateStatefulSet },
  'daemonsets.apps': { default: defaultDaemonSet, validate: validateDaemonSet },
  'jobs.batch': { default: defaultJob, validate: validateJob },
  // The controller names a CronJob's Jobs `<name>-<minutes since epoch>`, which must stay within 63 characters.
  'cronjobs.batch': { default: defaultCronJob, validate: validateCronJob, maxNameLength: 52 },
};
