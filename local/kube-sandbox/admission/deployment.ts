import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { KubeObject, Writable } from '../store';
import {
  GoSyntax,
  goIntOrString,
  goString,
  forbidden,
  invalid,
  nonNegative,
  notSupported,
  percentValue,
} from './fields';
import { defaultPodTemplate } from './pod';
import type { AdmissionTable, FieldCause } from './types';
import {
  selectorImmutable,
  validateRollingBudgets,
  validateSelector,
  validateServiceTemplate,
} from './workload-common';

type DeploymentObject = KubeObject & Writable<Deployment>;
type ReplicaSetObject = KubeObject & Writable<ReplicaSet>;

function validateStrategy(d: DeploymentObject): FieldCause[] {
  const strategy = d.spec?.strategy ?? {};
  if (strategy.type === 'Recreate') {
    if (!strategy.rollingUpdate) return [];
    return [
      forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"),
    ];
  }
  if (strategy.type !== 'RollingUpdate') {
    const shown = new GoSyntax(
      `apps.DeploymentStrategy{Type:${goString(strategy.type ?? '')}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`,
    );
    return [notSupported('spec.strategy', shown, ['Recreate', 'RollingUpdate'])];
  }
  const rolling = strategy.rollingUpdate ?? {};
  const at = 'spec.strategy.rollingUpdate';
  const causes = validateRollingBudgets(rolling, at);
  const unavailablePercent = percentValue(rolling.maxUnavailable);
  if (unavailablePercent !== undefined && unavailablePercent > 100) {
    causes.push(
      invalid(`${at}.maxUnavailable`, goIntOrString(rolling.maxUnavailable), 'must not be greater than 100%'),
    );
  }
  return causes;
}

/**
 * Deployments and ReplicaSets: the defaulting of `SetDefaults_Deployment` / `SetDefaults_ReplicaSet`
 * (apps/v1) and the checks of `ValidateDeployment` / `ValidateReplicaSet` that clients run into.
 * Both word an empty selector as "invalid for deployment" and a template's activeDeadlineSeconds
 * as "in ReplicaSet", as Kubernetes does.
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
      defaultPodTemplate(spec.template);
      d.status ??= {};
    },
    validate(obj, old) {
      const d = obj as DeploymentObject;
      const spec = d.spec;
      return [
        ...nonNegative(spec?.replicas, 'spec.replicas'),
        ...validateSelector(spec?.selector, spec?.template, 'deployment'),
        ...validateServiceTemplate(spec?.template, 'ReplicaSet'),
        ...validateStrategy(d),
        ...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'),
        ...nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
        ...nonNegative(spec?.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'),
        ...(spec?.progressDeadlineSeconds !== undefined &&
        spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)
          ? [
              invalid(
                'spec.progressDeadlineSeconds',
                spec.progressDeadlineSeconds,
                'must be greater than minReadySeconds',
              ),
            ]
          : []),
        ...(old ? selectorImmutable(spec?.selector, (old as DeploymentObject).spec?.selector) : []),
      ];
    },
  },
  'replicasets.apps': {
    default(obj) {
      const rs = obj as ReplicaSetObject;
      const spec = (rs.spec ??= { selector: undefined as never });
      spec.replicas ??= 1;
      defaultPodTemplate(spec.template);
      // ReplicaSetStatus.replicas has no omitempty: a fresh ReplicaSet shows `replicas: 0`.
      rs.status ??= { replicas: 0 };
    },
    validate(obj, old) {
      const rs = obj as ReplicaSetObject;
      const spec = rs.spec;
      return [
        ...nonNegative(spec?.replicas, 'spec.replicas'),
        ...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'),
        ...validateSelector(spec?.selector, spec?.template, 'deployment'),
        ...validateServiceTemplate(spec?.template, 'ReplicaSet'),
        ...(old ? selectorImmutable(spec?.selector, (old as ReplicaSetObject).spec?.selector) : []),
      ];
    },
  },
};
