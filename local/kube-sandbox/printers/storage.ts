/**
 * PersistentVolumeClaims, PersistentVolumes and StorageClasses.
 */
import type { KubeObject } from '../store';
import { ageColumn, column, nameColumn, type Printer } from './columns';
import { accessModesString, since } from './format';

function isDefaultStorageClass(obj: KubeObject): boolean {
  const annotations = obj.metadata.annotations ?? {};
  return (
    annotations['storageclass.kubernetes.io/is-default-class'] === 'true' ||
    annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true'
  );
}

export const STORAGE_PRINTERS: Record<string, Printer> = {
  persistentvolumeclaims: {
    columns: [
      nameColumn,
      column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
      column(
        'Volume',
        'string',
        'volumeName is the binding reference to the PersistentVolume backing this claim.',
      ),
      column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
      column(
        'Access Modes',
        'string',
        'accessModes contains the actual access modes the volume backing the PVC has.',
      ),
      column('StorageClass', 'string', 'StorageClass of the pvc'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
      ageColumn,
      column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
    ],
    cells: (obj, now) => {
      const spec = (obj.spec ?? {}) as {
        volumeName?: string;
        storageClassName?: string;
        volumeMode?: string;
        volumeAttributesClassName?: string;
      };
      const status = (obj.status ?? {}) as {
        phase?: string;
        accessModes?: string[];
        capacity?: { storage?: string };
      };
      const bound = Boolean(spec.volumeName);
      return [
        obj.metadata.name!,
        obj.metadata.deletionTimestamp ? 'Terminating' : (status.phase ?? ''),
        spec.volumeName ?? '',
        bound ? (status.capacity?.storage ?? '') : '',
        bound ? accessModesString(status.accessModes) : '',
        spec.storageClassName ?? obj.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '',
        spec.volumeAttributesClassName || '<unset>',
        since(obj.metadata.creationTimestamp, now),
        spec.volumeMode ?? '<unset>',
      ];
    },
  },
  persistentvolumes: {
    columns: [
      nameColumn,
      column(
        'Capacity',
        'string',
        "capacity is the description of the persistent volume's resources and capacity.",
      ),
      column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
      column(
        'Reclaim Policy',
        'string',
        'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
      ),
      column(
        'Status',
        'string',
        'phase indicates if a volume is available, bound to a claim, or released by a claim.',
      ),
      column(
        'Claim',
        'string',
        'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
      ),
      column('StorageClass', 'string', 'StorageClass of the pv'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
      column(
        'Reason',
        'string',
        'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
      ),
      ageColumn,
      column(
        'VolumeMode',
        'string',
        'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
        1,
      ),
    ],
    cells: (obj, now) => {
      const spec = (obj.spec ?? {}) as {
        capacity?: { storage?: string };
        accessModes?: string[];
        persistentVolumeReclaimPolicy?: string;
        claimRef?: { namespace?: string; name?: string };
        storageClassName?: string;
        volumeMode?: string;
        volumeAttributesClassName?: string;
      };
      const status = (obj.status ?? {}) as { phase?: string; reason?: string };
      return [
        obj.metadata.name!,
        spec.capacity?.storage ?? '0',
        accessModesString(spec.accessModes),
        spec.persistentVolumeReclaimPolicy ?? '',
        obj.metadata.deletionTimestamp ? 'Terminating' : (status.phase ?? ''),
        spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '',
        spec.storageClassName ?? '',
        spec.volumeAttributesClassName || '<unset>',
        status.reason ?? '',
        since(obj.metadata.creationTimestamp, now),
        spec.volumeMode ?? '<unset>',
      ];
    },
  },
  'storageclasses.storage.k8s.io': {
    columns: [
      nameColumn,
      column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
      column(
        'ReclaimPolicy',
        'string',
        'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
      ),
      column(
        'VolumeBindingMode',
        'string',
        'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
      ),
      column(
        'AllowVolumeExpansion',
        'string',
        'allowVolumeExpansion shows whether the storage class allow volume expand.',
      ),
      ageColumn,
    ],
    cells: (obj, now) => [
      `${obj.metadata.name!}${isDefaultStorageClass(obj) ? ' (default)' : ''}`,
      (obj.provisioner as string | undefined) ?? '',
      (obj.reclaimPolicy as string | undefined) ?? 'Delete',
      (obj.volumeBindingMode as string | undefined) ?? 'Immediate',
      Boolean(obj.allowVolumeExpansion),
      since(obj.metadata.creationTimestamp, now),
    ],
  },
};
