import { PV_PROTECTION, PVC_PROTECTION } from '../controllers/persistent-volume';
import type { KubeObject } from '../store';
import { invalid, notSupported, required, validateIntOrPercent } from './fields';
import type { AdmissionTable, FieldCause } from './types';

/*
 * Defaults and validation of the platform types (storage, disruption budgets, ingress, RBAC),
 * from pkg/apis/{core,storage,policy,networking,rbac}/v1/defaults.go and their validation, and
 * the StorageObjectInUseProtection admission plugin's finalizers.
 */

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

function addFinalizer(obj: KubeObject, finalizer: string, old?: KubeObject): void {
  if (old) return;
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) obj.metadata.finalizers = [...finalizers, finalizer];
}

function validateAccessModes(modes: string[] | undefined, field: string): FieldCause[] {
  if (!modes || modes.length === 0) return [required(field, 'at least 1 access mode is required')];
  return modes.filter((m) => !ACCESS_MODES.includes(m)).map((m) => notSupported(field, m, ACCESS_MODES));
}

function roleRefCauses(obj: KubeObject, old: KubeObject | undefined, kinds: string[]): FieldCause[] {
  const ref = obj.roleRef as { apiGroup?: string; kind?: string; name?: string } | undefined;
  const causes: FieldCause[] = [];
  if (!ref?.name) causes.push(required('roleRef.name'));
  if (!ref?.kind || !kinds.includes(ref.kind))
    causes.push(notSupported('roleRef.kind', ref?.kind ?? '', kinds));
  if (ref?.apiGroup !== 'rbac.authorization.k8s.io') {
    causes.push(notSupported('roleRef.apiGroup', ref?.apiGroup ?? '', ['rbac.authorization.k8s.io']));
  }
  if (old && JSON.stringify(old.roleRef) !== JSON.stringify(obj.roleRef)) {
    causes.push(invalid('roleRef', '', 'cannot change roleRef'));
  }
  for (const [i, s] of (
    (obj.subjects ?? []) as Array<{ kind?: string; name?: string; apiGroup?: string }>
  ).entries()) {
    if (!s.name) causes.push(required(`subjects[${i}].name`));
    if (!['User', 'Group', 'ServiceAccount'].includes(s.kind ?? '')) {
      causes.push(notSupported(`subjects[${i}].kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  }
  return causes;
}

/** RBAC names are path segments (`system:discovery` is one), not DNS names. */
const RBAC_NAME = 'none' as const;

export const platformAdmission: AdmissionTable = {
  persistentvolumeclaims: {
    default(obj, old) {
      const spec = (obj.spec ?? {}) as Record<string, unknown>;
      spec.volumeMode = spec.volumeMode ?? 'Filesystem';
      obj.spec = spec;
      obj.status = obj.status ?? { phase: 'Pending' };
      addFinalizer(obj, PVC_PROTECTION, old);
    },
    validate(obj) {
      const spec = (obj.spec ?? {}) as {
        accessModes?: string[];
        resources?: { requests?: { storage?: string } };
      };
      const causes = validateAccessModes(spec.accessModes, 'spec.accessModes');
      if (!spec.resources?.requests?.storage) causes.push(required('spec.resources[storage]'));
      return causes;
    },
  },
  persistentvolumes: {
    default(obj, old) {
      const spec = (obj.spec ?? {}) as Record<string, unknown>;
      spec.persistentVolumeReclaimPolicy = spec.persistentVolumeReclaimPolicy ?? 'Retain';
      spec.volumeMode = spec.volumeMode ?? 'Filesystem';
      obj.spec = spec;
      obj.status = obj.status ?? { phase: 'Pending' };
      addFinalizer(obj, PV_PROTECTION, old);
    },
    validate(obj) {
      const spec = (obj.spec ?? {}) as { accessModes?: string[]; capacity?: { storage?: string } };
      const causes = validateAccessModes(spec.accessModes, 'spec.accessModes');
      if (!spec.capacity?.storage)
        causes.push(required('spec.capacity', 'must specify a capacity of storage'));
      return causes;
    },
  },
  'storageclasses.storage.k8s.io': {
    default(obj) {
      obj.reclaimPolicy = obj.reclaimPolicy ?? 'Delete';
      obj.volumeBindingMode = obj.volumeBindingMode ?? 'Immediate';
    },
    validate(obj, old) {
      const causes: FieldCause[] = [];
      if (!obj.provisioner) causes.push(required('provisioner'));
      if (old && old.provisioner !== obj.provisioner) {
        causes.push(invalid('provisioner', String(obj.provisioner ?? ''), 'field is immutable'));
      }
      if (!['Immediate', 'WaitForFirstConsumer'].includes(obj.volumeBindingMode as string)) {
        causes.push(
          notSupported('volumeBindingMode', String(obj.volumeBindingMode), [
            'Immediate',
            'WaitForFirstConsumer',
          ]),
        );
      }
      return causes;
    },
  },
  'poddisruptionbudgets.policy': {
    default(obj) {
      obj.status = obj.status ?? {
        disruptionsAllowed: 0,
        currentHealthy: 0,
        desiredHealthy: 0,
        expectedPods: 0,
      };
    },
    validate(obj) {
      const spec = (obj.spec ?? {}) as { minAvailable?: number | string; maxUnavailable?: number | string };
      const causes: FieldCause[] = [];
      if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
        causes.push(invalid('spec', '', 'minAvailable and maxUnavailable cannot be both set'));
      }
      if (spec.minAvailable !== undefined)
        causes.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
      if (spec.maxUnavailable !== undefined)
        causes.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
      return causes;
    },
  },
  'ingresses.networking.k8s.io': {
    default(obj) {
      obj.status = obj.status ?? { loadBalancer: {} };
    },
    validate(obj) {
      const causes: FieldCause[] = [];
      const rules = ((obj.spec as { rules?: unknown[] } | undefined)?.rules ?? []) as Array<{
        http?: { paths?: Array<{ pathType?: string }> };
      }>;
      rules.forEach((rule, i) =>
        (rule.http?.paths ?? []).forEach((p, j) => {
          const field = `spec.rules[${i}].http.paths[${j}].pathType`;
          if (!p.pathType) causes.push(required(field, 'pathType must be specified'));
          else if (!['Exact', 'ImplementationSpecific', 'Prefix'].includes(p.pathType)) {
            causes.push(notSupported(field, p.pathType, ['Exact', 'ImplementationSpecific', 'Prefix']));
          }
        }),
      );
      return causes;
    },
  },
  'clusterroles.rbac.authorization.k8s.io': { name: RBAC_NAME },
  'roles.rbac.authorization.k8s.io': { name: RBAC_NAME },
  'clusterrolebindings.rbac.authorization.k8s.io': {
    name: RBAC_NAME,
    validate: (obj, old) => roleRefCauses(obj, old, ['ClusterRole']),
  },
  'rolebindings.rbac.authorization.k8s.io': {
    name: RBAC_NAME,
    validate: (obj, old) => roleRefCauses(obj, old, ['Role', 'ClusterRole']),
  },
};
