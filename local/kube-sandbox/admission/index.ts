import { errors } from '../errors';
import type { ResourceType } from '../resources';
import type { KubeObject } from '../store';
import { coreAdmission } from './core';
import { deploymentAdmission } from './deployment';
import { validateObjectName } from './fields';
import { validateMetadata } from './metadata-validation';
import { platformAdmission } from './platform';
import { podAdmission } from './pod';
import type { AdmissionTable } from './types';
import { workloadAdmission } from './workloads';

const table: AdmissionTable = {
  ...coreAdmission,
  ...podAdmission,
  ...deploymentAdmission,
  ...workloadAdmission,
  ...platformAdmission,
};

/**
 * Defaults and validates an object of type `t` before it is stored (create when `old` is
 * unset, update otherwise). Throws a 422 Invalid ApiError naming every bad field.
 */
export function admit(t: ResourceType, obj: KubeObject, old?: KubeObject): void {
  const rules = table[t.storageKey];
  rules?.default?.(obj, old);
  const nameRule = typeof rules?.name === 'function' ? rules.name(t) : (rules?.name ?? 'subdomain');
  const causes = [
    ...(old ? [] : validateObjectName(obj, nameRule, rules?.maxNameLength)),
    ...validateMetadata(obj),
    ...(rules?.validate?.(obj, old) ?? []),
  ];
  if (causes.length > 0) throw errors.invalid(t.kind, t.group, obj.metadata.name ?? '', causes);
}
