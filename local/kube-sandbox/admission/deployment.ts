import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { labelSelectorPredicate } from '../selectors';
import type { KubeObject, Writable } from '../store';
import { defaultPodSpec, validatePodSpec } from './pod';
import type { AdmissionTable, FieldCause } from './types';

type DeploymentObject = KubeObject & Writable<Deployment>;
type ReplicaSetObject = KubeObject & Writable<ReplicaSet>;
type IntOrString = number | string;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PERCENT = /^[0-9]+%$/;

/*
 * Values in messages are printed the way Go's field.Invalid prints them (`%#v` for maps and
 * structs), because clients and people match on these exact strings.
 */
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

function goStringSlice(values: readonly string[] | undefined): string {
  return values ? `[]string{${values.map(goString).join(', ')}}` : '[]string(nil)';
}

function goLabelSelector(selector: Writable<LabelSelector>): string {
  const expressions = selector.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${selector.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goString(e.key)}, Operator:${goString(e.operator)}, Values:${goStringSlice(e.values)}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${expressions}}`;
}

function goIntOrString(value: IntOrString | undefined): string {
  if (typeof value === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(value)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${value ?? 0}, StrVal:""}`;
}

function nonNegative(value: number | undefined, field: string): FieldCause[] {
  if (value === undefined || value >= 0) return [];
  return [{ field, message: `Invalid value: ${value}: must be greater than or equal to 0` }];
}

function validateName(obj: KubeObject): FieldCause[] {
  const name = obj.metadata.name;
  if (!name) return [];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [
      {
        field: 'metadata.name',
        message: `Invalid value: ${goString(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ];
  }
  return [];
}

function validateLabelSelector(selector: Writable<LabelSelector>, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) {
        causes.push({
          field: `${at}.values`,
          message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
          reason: 'FieldValueRequired',
        });
      }
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) {
        causes.push({
          field: `${at}.values`,
          message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          reason: 'FieldValueForbidden',
        });
      }
    } else {
      causes.push({
        field: `${at}.operator`,
        message: `Invalid value: ${goString(e.operator)}: not a valid selector operator`,
      });
    }
  });
  return causes;
}

/**
 * spec.selector and spec.template as `ValidateDeploymentSpec` / `ValidateReplicaSetSpec` check
 * them: a selector is required and may not be empty, and it must select the template's labels
 * (a missing selector selects nothing, so both errors are reported together, as the API does).
 */
function validateSelectorAndTemplate(
  selector: Writable<LabelSelector> | undefined,
  template: Writable<PodTemplateSpec> | undefined,
): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!selector) {
    causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
  } else {
    causes.push(...validateLabelSelector(selector, 'spec.selector'));
    if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
      causes.push({
        field: 'spec.selector',
        message: `Invalid value: ${goLabelSelector(selector)}: empty selector is invalid for deployment`,
      });
    }
  }
  const labels = template?.metadata?.labels;
  if (!selector || !labelSelectorPredicate(selector)(labels ?? {})) {
    causes.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${goStringMap(labels)}: \`selector\` does not match template \`labels\``,
    });
  }
  const podSpec = template?.spec;
  causes.push(...validatePodSpec(podSpec, 'spec.template.spec'));
  const restartPolicy = podSpec?.restartPolicy ?? 'Always';
  if (restartPolicy !== 'Always') {
    causes.push({
      field: 'spec.template.spec.restartPolicy',
      message: `Unsupported value: ${goString(restartPolicy)}: supported values: "Always"`,
      reason: 'FieldValueNotSupported',
    });
  }
  if (podSpec?.activeDeadlineSeconds !== undefined) {
    causes.push({
      field: 'spec.template.spec.activeDeadlineSeconds',
      message: 'Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
      reason: 'FieldValueForbidden',
    });
  }
  return causes;
}

function percentValue(value: IntOrString | undefined): number | undefined {
  return typeof value === 'string' && PERCENT.test(value) ? Number(value.slice(0, -1)) : undefined;
}

function validateIntOrPercent(value: IntOrString | undefined, field: string): FieldCause[] {
  if (typeof value === 'string') {
    if (PERCENT.test(value)) return [];
    return [
      {
        field,
        message: `Invalid value: ${goIntOrString(value)}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      },
    ];
  }
  return nonNegative(value, field);
}

function validateStrategy(d: DeploymentObject): FieldCause[] {
  const strategy = d.spec?.strategy ?? {};
  if (strategy.type === 'Recreate') {
    if (!strategy.rollingUpdate) return [];
    return [
      {
        field: 'spec.strategy.rollingUpdate',
        message: "Forbidden: may not be specified when strategy `type` is 'Recreate'",
        reason: 'FieldValueForbidden',
      },
    ];
  }
  if (strategy.type !== 'RollingUpdate') {
    return [
      {
        field: 'spec.strategy',
        message: `Unsupported value: apps.DeploymentStrategy{Type:${goString(strategy.type ?? '')}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"`,
        reason: 'FieldValueNotSupported',
      },
    ];
  }
  const rolling = strategy.rollingUpdate ?? {};
  const at = 'spec.strategy.rollingUpdate';
  const causes = [
    ...validateIntOrPercent(rolling.maxUnavailable, `${at}.maxUnavailable`),
    ...validateIntOrPercent(rolling.maxSurge, `${at}.maxSurge`),
  ];
  const asNumber = (v: IntOrString | undefined): number =>
    typeof v === 'string' ? (percentValue(v) ?? -1) : (v ?? 0);
  if (asNumber(rolling.maxUnavailable) === 0 && asNumber(rolling.maxSurge) === 0) {
    causes.push({
      field: `${at}.maxUnavailable`,
      message: `Invalid value: ${goIntOrString(rolling.maxUnavailable)}: may not be 0 when \`maxSurge\` is 0`,
    });
  }
  const unavailablePercent = percentValue(rolling.maxUnavailable);
  if (unavailablePercent !== undefined && unavailablePercent > 100) {
    causes.push({
      field: `${at}.maxUnavailable`,
      message: `Invalid value: ${goIntOrString(rolling.maxUnavailable)}: must not be greater than 100%`,
    });
  }
  return causes;
}

function selectorImmutable(
  obj: { spec?: { selector?: Writable<LabelSelector> } },
  old: { spec?: { selector?: Writable<LabelSelector> } } | undefined,
): FieldCause[] {
  if (
    !old ||
    JSON.stringify(normalizeSelector(obj.spec?.selector)) ===
      JSON.stringify(normalizeSelector(old.spec?.selector))
  )
    return [];
  const selector = obj.spec?.selector;
  return [
    {
      field: 'spec.selector',
      message: `Invalid value: ${selector ? goLabelSelector(selector) : 'null'}: field is immutable`,
    },
  ];
}

function normalizeSelector(selector: Writable<LabelSelector> | undefined): unknown {
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

/** The pod-template defaults every workload shares (restartPolicy, dnsPolicy, container defaults...). */
function defaultTemplate(template: Writable<PodTemplateSpec> | undefined): void {
  if (template?.spec) defaultPodSpec(template.spec);
}

/**
 * Deployments and ReplicaSets: the defaulting of `SetDefaults_Deployment` / `SetDefaults_ReplicaSet`
 * (apps/v1) and the checks of `ValidateDeployment` / `ValidateReplicaSet` that clients run into.
 */
export const deploymentAdmission: AdmissionTable = {
  'deployments.apps': {
    default(obj) {
      const d = obj as DeploymentObject;
      const spec = (d.spec ??= { selector: undefined as never, template: {} });
      spec.replicas ??= 1;
      const strategy = (spec.strategy ??= {});
      strategy.type ||= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const rolling = (strategy.rollingUpdate ??= {});
        rolling.maxUnavailable ??= '25%';
        rolling.maxSurge ??= '25%';
      }
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      defaultTemplate(spec.template);
      d.status ??= {};
    },
    validate(obj, old) {
      const d = obj as DeploymentObject;
      const spec = d.spec;
      return [
        ...validateName(d),
        ...nonNegative(spec?.replicas, 'spec.replicas'),
        ...validateSelectorAndTemplate(spec?.selector, spec?.template),
        ...validateStrategy(d),
        ...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'),
        ...nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
        ...nonNegative(spec?.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'),
        ...(spec?.progressDeadlineSeconds !== undefined &&
        spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)
          ? [
              {
                field: 'spec.progressDeadlineSeconds',
                message: `Invalid value: ${spec.progressDeadlineSeconds}: must be greater than minReadySeconds`,
              },
            ]
          : []),
        ...selectorImmutable(d, old as DeploymentObject | undefined),
      ];
    },
  },
  'replicasets.apps': {
    default(obj) {
      const rs = obj as ReplicaSetObject;
      const spec = (rs.spec ??= { selector: undefined as never });
      spec.replicas ??= 1;
      defaultTemplate(spec.template);
      // ReplicaSetStatus.replicas has no omitempty: a fresh ReplicaSet shows `replicas: 0`.
      rs.status ??= { replicas: 0 };
    },
    validate(obj, old) {
      const rs = obj as ReplicaSetObject;
      const spec = rs.spec;
      return [
        ...validateName(rs),
        ...nonNegative(spec?.replicas, 'spec.replicas'),
        ...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'),
        ...validateSelectorAndTemplate(spec?.selector, spec?.template),
        ...selectorImmutable(rs, old as ReplicaSetObject | undefined),
      ];
    },
  },
};
