import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { CronJob, Job, JobSpec } from 'kubernetes-types/batch/v1';
import type { PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { isKnownTimeZone, parseSchedule, ScheduleError } from '../controllers/cron-schedule';
import { labelSelectorPredicate } from '../selectors';
import type { KubeObject, Writable } from '../store';
import { defaultPodSpec, validatePodSpec } from './pod';
import type { AdmissionTable, FieldCause } from './types';

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
type Template = Writable<PodTemplateSpec>;
type Selector = Writable<LabelSelector>;

export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const LEGACY_JOB_NAME_LABEL = 'job-name';
const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PERCENT = /^[0-9]+%$/;

/* Values in messages are printed as Go's field errors print them (%#v for maps and structs). */
function goString(value: string): string {
  return JSON.stringify(value);
}

function goStringMap(map: Record<string, string> | undefined): string {
  if (!map) return 'map[string]string(nil)';
  const entries = Object.keys(map)
    .sort()
    .map((k) => `${goString(k)}:${goString(map[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

function goSelector(selector: Selector | undefined): string {
  if (!selector) return '(*v1.LabelSelector)(nil)';
  const expressions = selector.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${selector.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goString(e.key)}, Operator:${goString(e.operator)}, Values:${
              e.values ? `[]string{${e.values.map(goString).join(', ')}}` : '[]string(nil)'
            }}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${expressions}}`;
}

function required(field: string, detail = ''): FieldCause {
  return { field, message: `Required value${detail ? `: ${detail}` : ''}`, reason: 'FieldValueRequired' };
}

function invalid(field: string, shown: string, detail: string): FieldCause {
  return { field, message: `Invalid value: ${shown}: ${detail}`, reason: 'FieldValueInvalid' };
}

function notSupported(field: string, value: string, supported: string[]): FieldCause {
  return {
    field,
    message: `Unsupported value: ${goString(value)}: supported values: ${supported.map(goString).join(', ')}`,
    reason: 'FieldValueNotSupported',
  };
}

function forbidden(field: string, detail: string): FieldCause {
  return { field, message: `Forbidden: ${detail}`, reason: 'FieldValueForbidden' };
}

function nonNegative(value: number | undefined | null, field: string): FieldCause[] {
  if (value === undefined || value === null || value >= 0) return [];
  return [invalid(field, String(value), 'must be greater than or equal to 0')];
}

function validateName(obj: KubeObject, maxLength = 253): FieldCause[] {
  const name = obj.metadata.name;
  if (!name) {
    return obj.metadata.generateName ? [] : [required('metadata.name', 'name or generateName is required')];
  }
  const causes: FieldCause[] = [];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    causes.push(
      invalid(
        'metadata.name',
        goString(name),
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  }
  if (name.length > maxLength && maxLength < 253) {
    causes.push(invalid('metadata.name', goString(name), `must be no more than ${maxLength} characters`));
  }
  return causes;
}

function defaultTemplate(template: Template | undefined): void {
  if (template?.spec) defaultPodSpec(template.spec);
}

/** A selector that must be set, non-empty, and select the template's labels. */
function validateSelector(
  selector: Selector | undefined,
  template: Template | undefined,
  kind: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!selector) {
    causes.push(required('spec.selector'));
  } else if (
    Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length ===
    0
  ) {
    causes.push(invalid('spec.selector', goSelector(selector), `empty selector is invalid for ${kind}`));
  }
  const labels = template?.metadata?.labels;
  if (!selector || !labelSelectorPredicate(selector)(labels ?? {})) {
    causes.push(
      invalid(
        'spec.template.metadata.labels',
        goStringMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  return causes;
}

/** A pod template for long-running pods (StatefulSet, DaemonSet): restartPolicy Always only. */
function validateServiceTemplate(
  template: Template | undefined,
  kind: string,
  extraVolumes: string[] = [],
): FieldCause[] {
  const spec = template?.spec;
  const withClaims = spec
    ? ({
        ...spec,
        volumes: [...(spec.volumes ?? []), ...extraVolumes.map((name) => ({ name, emptyDir: {} }))],
      } as PodSpec)
    : undefined;
  const causes = validatePodSpec(withClaims, 'spec.template.spec');
  const restartPolicy = spec?.restartPolicy ?? 'Always';
  if (restartPolicy !== 'Always') {
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  }
  if (spec?.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    causes.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        `activeDeadlineSeconds in ${kind} is not Supported`,
      ),
    );
  }
  return causes;
}

function selectorImmutable(selector: Selector | undefined, oldSelector: Selector | undefined): FieldCause[] {
  if (JSON.stringify(normalizeSelector(selector)) === JSON.stringify(normalizeSelector(oldSelector)))
    return [];
  return [invalid('spec.selector', goSelector(selector), 'field is immutable')];
}

function normalizeSelector(selector: Selector | undefined): unknown {
  if (!selector) return null;
  const labels = selector.matchLabels ?? {};
  return {
    matchLabels: Object.fromEntries(
      Object.keys(labels)
        .sort()
        .map((k) => [k, labels[k]]),
    ),
    matchExpressions: selector.matchExpressions ?? [],
  };
}

/** Equal as JSON values, whatever the key order (clients send objects back in their own order). */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

function validateIntOrPercent(value: number | string | undefined, field: string): FieldCause[] {
  if (typeof value === 'string') {
    if (PERCENT.test(value)) return [];
    return [
      invalid(
        field,
        `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(value)}}`,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    ];
  }
  return nonNegative(value, field);
}

function intOrPercentValue(value: number | string | undefined): number {
  if (typeof value === 'string') return PERCENT.test(value) ? Number(value.slice(0, -1)) : -1;
  return value ?? 0;
}

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
  defaultTemplate(spec.template);
  for (const claim of spec.volumeClaimTemplates ?? []) {
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
  const causes = [...validateName(set)];
  const policy = spec?.podManagementPolicy ?? '';
  if (policy !== 'OrderedReady' && policy !== 'Parallel') {
    causes.push(
      invalid('spec.podManagementPolicy', goString(policy), "must be 'OrderedReady' or 'Parallel'"),
    );
  }
  const strategy = spec?.updateStrategy ?? {};
  if (strategy.type === 'OnDelete') {
    if (strategy.rollingUpdate) {
      causes.push(
        invalid(
          'spec.updateStrategy.rollingUpdate',
          'apps.RollingUpdateStatefulSetStrategy{...}',
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
    }
  } else if (strategy.type === 'RollingUpdate') {
    causes.push(
      ...nonNegative(strategy.rollingUpdate?.partition, 'spec.updateStrategy.rollingUpdate.partition'),
    );
  } else {
    causes.push(
      invalid('spec.updateStrategy', goString(strategy.type ?? ''), "must be 'RollingUpdate' or 'OnDelete'"),
    );
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
    if (!sameJson(fixed(spec as Record<string, unknown>), fixed(oldSpec))) {
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
  defaultTemplate(spec.template);
  // The registry strategy's templateGeneration, which apps/v1 shows as this annotation.
  const previous = Number(old?.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? 0);
  const templateChanged = !old || !sameJson((old as DaemonSetObject).spec?.template, spec.template);
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
    ...validateName(ds),
    ...validateSelector(spec?.selector, spec?.template, 'daemonset'),
    ...validateServiceTemplate(spec?.template, 'DaemonSet'),
    ...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'),
    ...nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
  ];
  const strategy = spec?.updateStrategy ?? {};
  if (strategy.type === 'RollingUpdate') {
    const rolling = strategy.rollingUpdate ?? {};
    const at = 'spec.updateStrategy.rollingUpdate';
    causes.push(
      ...validateIntOrPercent(rolling.maxUnavailable, `${at}.maxUnavailable`),
      ...validateIntOrPercent(rolling.maxSurge, `${at}.maxSurge`),
    );
    if (intOrPercentValue(rolling.maxUnavailable) === 0 && intOrPercentValue(rolling.maxSurge) === 0) {
      causes.push(
        invalid(
          `${at}.maxUnavailable`,
          `intstr.IntOrString{Type:0, IntVal:0, StrVal:""}`,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
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
  defaultTemplate(spec.template);
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
  if (!sameJson(normalizeSelector(spec?.selector), normalizeSelector(expected))) {
    causes.push(invalid('spec.selector', goSelector(spec?.selector), '`selector` not auto-generated'));
  }
  return causes;
}

function validateJob(obj: KubeObject, old?: KubeObject): FieldCause[] {
  const job = obj as JobObject;
  const spec = job.spec;
  const causes = [...validateName(job), ...validateJobSpec(spec, 'spec')];
  if (spec?.manualSelector) causes.push(...validateSelector(spec.selector, spec.template, 'job'));
  else if (!old) causes.push(...validateGeneratedSelector(job));
  if (old) {
    const oldSpec = (old as JobObject).spec;
    causes.push(...selectorImmutable(spec?.selector, oldSpec?.selector));
    if (!sameJson(spec?.template, oldSpec?.template)) {
      causes.push(invalid('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
    }
    if (!sameJson(spec?.completions, oldSpec?.completions)) {
      causes.push(invalid('spec.completions', String(spec?.completions), 'field is immutable'));
    }
    if (!sameJson(spec?.completionMode, oldSpec?.completionMode)) {
      causes.push(invalid('spec.completionMode', goString(spec?.completionMode ?? ''), 'field is immutable'));
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
  defaultTemplate(spec.jobTemplate?.spec?.template);
  cj.status ??= {};
}

function validateCronJob(obj: KubeObject, old?: KubeObject): FieldCause[] {
  const cj = obj as CronJobObject;
  const spec = cj.spec;
  const causes = [...validateName(cj, 52)];
  const schedule = spec?.schedule ?? '';
  const timeZone = spec?.timeZone ?? undefined;
  if (!schedule) {
    causes.push(required('spec.schedule'));
  } else if (
    /(^|\s)(CRON_)?TZ=/.test(schedule) &&
    (!old || (old as CronJobObject).spec?.schedule !== schedule)
  ) {
    causes.push(
      invalid(
        'spec.schedule',
        goString(schedule),
        'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ),
    );
  } else {
    try {
      parseSchedule(schedule);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      causes.push(invalid('spec.schedule', goString(schedule), error.message));
    }
  }
  if (timeZone !== undefined) {
    if (timeZone.toLowerCase() === 'local') {
      causes.push(
        invalid(
          'spec.timeZone',
          goString(timeZone),
          'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
        ),
      );
    } else if (!isKnownTimeZone(timeZone)) {
      causes.push(invalid('spec.timeZone', goString(timeZone), `unknown time zone ${timeZone}`));
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
  'cronjobs.batch': { default: defaultCronJob, validate: validateCronJob },
};
