import type { PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { canonicalJson } from '../controllers/hash';
import { labelSelectorPredicate } from '../selectors';
import type { Writable } from '../store';
import {
  forbidden,
  goIntOrString,
  goLabelSelector,
  goStringMap,
  invalid,
  notSupported,
  percentValue,
  required,
  validateIntOrPercent,
} from './fields';
import { validatePodSpec } from './pod';
import type { FieldCause } from './types';

/* The checks every workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job) shares. */

type Selector = Writable<LabelSelector>;
type Template = Writable<PodTemplateSpec>;

/** Equal as apiequality.Semantic.DeepEqual sees it: key order, nulls and empty lists do not count. */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** ValidateLabelSelector: each expression's operator and values. */
function validateLabelSelector(selector: Selector, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) {
        causes.push(required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) {
        causes.push(
          forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        );
      }
    } else {
      causes.push(invalid(`${at}.operator`, e.operator, 'not a valid selector operator'));
    }
  });
  return causes;
}

/**
 * spec.selector against spec.template: a selector is required and may not be empty, and it
 * must select the template's labels (a missing selector selects nothing, so both errors are
 * reported together, as the API does). `kind` words the empty-selector error as each type's
 * validation does (a ReplicaSet's says "deployment" too).
 */
export function validateSelector(
  selector: Selector | undefined,
  template: Template | undefined,
  kind: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!selector) {
    causes.push(required('spec.selector'));
  } else {
    causes.push(...validateLabelSelector(selector, 'spec.selector'));
    if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
      causes.push(
        invalid('spec.selector', goLabelSelector(selector), `empty selector is invalid for ${kind}`),
      );
    }
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

/**
 * A template for pods that run until replaced (ReplicaSet, StatefulSet, DaemonSet): restartPolicy
 * Always only, no activeDeadlineSeconds. `claims` are volumes the controller adds (a StatefulSet's
 * volumeClaimTemplates), which containers may mount.
 */
export function validateServiceTemplate(
  template: Template | undefined,
  kind: string,
  claims: string[] = [],
): FieldCause[] {
  const spec = template?.spec;
  const withClaims = spec
    ? ({
        ...spec,
        volumes: [...(spec.volumes ?? []), ...claims.map((name) => ({ name, emptyDir: {} }))],
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

/** Selectors equal whatever their key order, with a missing matchLabels or matchExpressions empty. */
export function sameSelector(a: Selector | undefined, b: Selector | undefined): boolean {
  const normal = (selector: Selector | undefined): unknown =>
    selector && {
      matchLabels: selector.matchLabels ?? {},
      matchExpressions: selector.matchExpressions ?? [],
    };
  return canonicalJson(normal(a)) === canonicalJson(normal(b));
}

/** ValidateImmutableField for spec.selector. */
export function selectorImmutable(
  selector: Selector | undefined,
  oldSelector: Selector | undefined,
): FieldCause[] {
  if (sameSelector(selector, oldSelector)) return [];
  return [invalid('spec.selector', goLabelSelector(selector), 'field is immutable')];
}

interface RollingBudgets {
  maxUnavailable?: number | string;
  maxSurge?: number | string;
}

/** A rolling update's numbers as validation compares them (a bad percent is -1). */
function intOrPercentValue(value: number | string | undefined): number {
  if (typeof value === 'string') return percentValue(value) ?? -1;
  return value ?? 0;
}

/** A rolling update's maxUnavailable and maxSurge (at `at`): ints or percents, not both 0. */
export function validateRollingBudgets(rolling: RollingBudgets, at: string): FieldCause[] {
  const causes = [
    ...validateIntOrPercent(rolling.maxUnavailable, `${at}.maxUnavailable`),
    ...validateIntOrPercent(rolling.maxSurge, `${at}.maxSurge`),
  ];
  if (intOrPercentValue(rolling.maxUnavailable) === 0 && intOrPercentValue(rolling.maxSurge) === 0) {
    causes.push(
      invalid(
        `${at}.maxUnavailable`,
        goIntOrString(rolling.maxUnavailable),
        'may not be 0 when `maxSurge` is 0',
      ),
    );
  }
  return causes;
}
