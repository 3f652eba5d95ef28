import { createHash } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1';
import { onStoreEvents, splitKey, types, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject } from '../store';
import {
  SELECTED_NODE,
  canProvision,
  classOf,
  findMatchingVolume,
  isWaitForFirstConsumer,
} from './volume-binding';
import { isTerminal } from './workload-common';

const COMPONENT = 'persistentvolume-controller';
const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
const STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
const BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION = 'kubernetes.io/pv-protection';
const PROVISIONER_FINALIZER = 'external-provisioner.volume.kubernetes.io/finalizer';
/** How often the PV controller goes over pending claims again (its resync period), repeating its events. */
const RESYNC_MS = 15_000;

interface ClaimSpec {
  storageClassName?: string;
  volumeName?: string;
  accessModes?: string[];
  volumeMode?: string;
  resources?: { requests?: { storage?: string } };
}

interface VolumeSpec {
  claimRef?: { namespace?: string; name?: string; uid?: string };
  persistentVolumeReclaimPolicy?: string;
  capacity?: Record<string, string>;
  accessModes?: string[];
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The identity an external provisioner reports events under: `<driver>_<pod>_<uuid>`. */
function provisionerIdentity(provisioner: string): string {
  const h = digest(provisioner);
  const pod =
    provisioner === 'ebs.csi.aws.com' ? 'ebs-csi-controller' : `${provisioner.split('.')[0]}-controller`;
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return `${provisioner}_${pod}-${h.slice(32, 42)}-${h.slice(42, 47)}_${uuid}`;
}

/**
 * The PersistentVolume controller with an external (CSI) provisioner and the protection
 * controllers beside it, as pkg/controller/volume does it:
 *
 * - a claim without a class gets the default StorageClass (retroactive default assignment);
 * - a claim binds the smallest Available volume that satisfies it (or one pre-bound to it):
 *   `spec.volumeName`, `pv.kubernetes.io/bind-completed`, phase Bound on both sides;
 * - otherwise a class that provisions creates `pvc-<claim uid>` at once (Immediate) or once the
 *   scheduler has picked a node (WaitForFirstConsumer: `volume.kubernetes.io/selected-node`,
 *   the volume pinned to that node's zone), with the events of the PV controller
 *   (ExternalProvisioning) and of the provisioner (Provisioning, ProvisioningSucceeded);
 * - a claim that nothing can satisfy stays Pending with the controller's event, repeated at
 *   each resync: `storageclass.storage.k8s.io "X" not found` (ProvisioningFailed), "waiting for
 *   first consumer to be created before binding" (WaitForFirstConsumer), or "no persistent
 *   volumes available for this claim and no storage class is set" (FailedBinding);
 * - a released volume is deleted (reclaim policy Delete) or kept Released (Retain);
 * - `kubernetes.io/pvc-protection` leaves a deleted claim only once no running pod uses it.
 */
export const persistentVolumeController: Controller = {
  name: 'persistent-volume',
  start(ctx: ControllerContext) {
    const { store, clock, events } = ctx;
    const pvcType = types.persistentvolumeclaims;
    const pvType = types.persistentvolumes;
    const classType = types['storageclasses.storage.k8s.io'];
    const resyncTimers = new Map<string, number>();

    function record(
      claim: KubeObject,
      type: 'Normal' | 'Warning',
      reason: string,
      message: string,
      component = COMPONENT,
    ): void {
      events.record({ ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, type, reason, message, {
        component,
      });
    }

    function defaultClass(): KubeObject | undefined {
      const defaults = store
        .list(classType)
        .filter((c) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
      // With several defaults the newest wins, as the DefaultStorageClass admission plugin picks.
      return defaults.sort((a, b) =>
        (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
      )[0];
    }

    function usedByPod(claim: KubeObject): boolean {
      return (store.list(types.pods, claim.metadata.namespace) as Array<KubeObject & Pod>).some(
        (pod) =>
          !isTerminal(pod) &&
          (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name),
      );
    }

    function bind(claim: KubeObject, pv: KubeObject, byController: boolean): void {
      const pvSpec = (pv.spec ?? {}) as VolumeSpec;
      const nextPv = structuredClone(pv);
      const nextPvSpec = nextPv.spec as VolumeSpec;
      if (!pvSpec.claimRef?.uid) {
        nextPvSpec.claimRef = {
          kind: 'PersistentVolumeClaim',
          namespace: claim.metadata.namespace,
          name: claim.metadata.name,
          uid: claim.metadata.uid,
          apiVersion: 'v1',
          resourceVersion: claim.metadata.resourceVersion,
        } as VolumeSpec['claimRef'];
        if (byController)
          nextPv.metadata.annotations = { ...nextPv.metadata.annotations, [BOUND_BY_CONTROLLER]: 'yes' };
      }
      nextPv.status = { phase: 'Bound' };
      const boundPv = store.update(pvType, nextPv);
      const nextClaim = structuredClone(claim);
      (nextClaim.spec as ClaimSpec).volumeName = boundPv.metadata.name;
      nextClaim.metadata.annotations = {
        ...nextClaim.metadata.annotations,
        [BIND_COMPLETED]: 'yes',
        ...(byController ? { [BOUND_BY_CONTROLLER]: 'yes' } : {}),
      };
      nextClaim.status = {
        phase: 'Bound',
        accessModes: [...(pvSpec.accessModes ?? [])],
        capacity: { ...pvSpec.capacity },
      };
      store.update(pvcType, nextClaim);
    }

    function provision(claim: KubeObject, storageClass: KubeObject): void {
      const provisioner = storageClass.provisioner as string;
      const spec = (claim.spec ?? {}) as ClaimSpec;
      const identity = provisionerIdentity(provisioner);
      record(
        claim,
        'Normal',
        'Provisioning',
        `External provisioner is provisioning volume for claim "${claim.metadata.namespace}/${claim.metadata.name}"`,
        identity,
      );
      const selected = claim.metadata.annotations?.[SELECTED_NODE];
      const zone = selected
        ? store.get(types.nodes, undefined, selected)?.metadata.labels?.['topology.kubernetes.io/zone']
        : undefined;
      const parameters = (storageClass.parameters ?? {}) as Record<string, string>;
      const name = `pvc-${claim.metadata.uid}`;
      const pv: KubeObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name,
          annotations: {
            [PROVISIONED_BY]: provisioner,
            'volume.kubernetes.io/provisioner-deletion-secret-name': '',
            'volume.kubernetes.io/provisioner-deletion-secret-namespace': '',
          },
          finalizers: [PROVISIONER_FINALIZER, PV_PROTECTION],
        },
        spec: {
          accessModes: [...(spec.accessModes ?? [])],
          capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
          claimRef: {
            kind: 'PersistentVolumeClaim',
            namespace: claim.metadata.namespace,
            name: claim.metadata.name,
            uid: claim.metadata.uid,
            apiVersion: 'v1',
            resourceVersion: claim.metadata.resourceVersion,
          },
          csi: {
            driver: provisioner,
            fsType: parameters['csi.storage.k8s.io/fstype'] ?? parameters.fsType ?? 'ext4',
            volumeAttributes: {
              'storage.kubernetes.io/csiProvisionerIdentity': `${clock.now()}-${digest(name).slice(0, 4)}-${provisioner}`,
            },
            volumeHandle: `vol-0${digest(name).slice(0, 16)}`,
          },
          ...(zone
            ? {
                nodeAffinity: {
                  required: {
                    nodeSelectorTerms: [
                      {
                        matchExpressions: [
                          { key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] },
                        ],
                      },
                    ],
                  },
                },
              }
            : {}),
          persistentVolumeReclaimPolicy: (storageClass.reclaimPolicy as string | undefined) ?? 'Delete',
          storageClassName: storageClass.metadata.name,
          volumeMode: spec.volumeMode ?? 'Filesystem',
        },
        status: { phase: 'Pending' },
      };
      const created = store.get(pvType, undefined, name) ?? store.create(pvType, pv);
      record(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`, identity);
      bind(store.get(pvcType, claim.metadata.namespace, claim.metadata.name!)!, created, false);
    }

    /** Comes back to a pending claim after the resync period, as the controller's informer does. */
    function resyncLater(key: string): void {
      if (resyncTimers.has(key)) return;
      resyncTimers.set(
        key,
        clock.setTimeout(() => {
          resyncTimers.delete(key);
          queue.add(key);
        }, RESYNC_MS),
      );
    }

    function syncClaim(namespace: string, name: string, key: string): void {
      let claim = store.get(pvcType, namespace, name);
      if (!claim) return;
      if (claim.metadata.deletionTimestamp) {
        if ((claim.metadata.finalizers ?? []).includes(PVC_PROTECTION) && !usedByPod(claim)) {
          const released = structuredClone(claim);
          released.metadata.finalizers = released.metadata.finalizers!.filter((f) => f !== PVC_PROTECTION);
          store.update(pvcType, released);
        }
        return;
      }
      const spec = (claim.spec ?? {}) as ClaimSpec;
      if (spec.volumeName) {
        const pv = store.get(pvType, undefined, spec.volumeName);
        const status = claim.status as { phase?: string } | undefined;
        if (pv && status?.phase !== 'Bound') bind(claim, pv, false);
        else if (!pv && status?.phase !== 'Lost') {
          const lost = structuredClone(claim);
          lost.status = { phase: 'Lost' };
          store.update(pvcType, lost);
          record(
            claim,
            'Warning',
            'ClaimLost',
            'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
          );
        }
        return;
      }
      if (spec.storageClassName === undefined) {
        const fallback = defaultClass();
        if (fallback) {
          const next = structuredClone(claim);
          (next.spec as ClaimSpec).storageClassName = fallback.metadata.name;
          claim = store.update(pvcType, next);
        }
      }
      if (!(claim.status as { phase?: string } | undefined)?.phase) {
        const pending = structuredClone(claim);
        pending.status = { phase: 'Pending' };
        claim = store.update(pvcType, pending);
      }
      const className = (claim.spec as ClaimSpec).storageClassName ?? '';
      const storageClass = classOf(store, claim);
      const waits = isWaitForFirstConsumer(storageClass);
      const selected = claim.metadata.annotations?.[SELECTED_NODE];
      const match = findMatchingVolume(store, claim);
      if (match && (!waits || selected)) {
        bind(claim, match, true);
        return;
      }
      resyncLater(key);
      if (className === '') {
        record(
          claim,
          'Normal',
          'FailedBinding',
          'no persistent volumes available for this claim and no storage class is set',
        );
        return;
      }
      if (!storageClass) {
        record(
          claim,
          'Warning',
          'ProvisioningFailed',
          `storageclass.storage.k8s.io "${className}" not found`,
        );
        return;
      }
      if (waits && !selected) {
        record(
          claim,
          'Normal',
          'WaitForFirstConsumer',
          'waiting for first consumer to be created before binding',
        );
        return;
      }
      const provisioner = storageClass.provisioner as string;
      if (claim.metadata.annotations?.[STORAGE_PROVISIONER] !== provisioner) {
        const annotated = structuredClone(claim);
        annotated.metadata.annotations = {
          ...annotated.metadata.annotations,
          [BETA_STORAGE_PROVISIONER]: provisioner,
          [STORAGE_PROVISIONER]: provisioner,
        };
        claim = store.update(pvcType, annotated);
      }
      record(
        claim,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
      if (canProvision(storageClass)) provision(claim, storageClass);
    }

    function syncVolume(name: string): void {
      const pv = store.get(pvType, undefined, name);
      if (!pv) return;
      if (pv.metadata.deletionTimestamp) {
        // The provisioner has deleted the disk and nothing binds the volume any more.
        const next = structuredClone(pv);
        next.metadata.finalizers = [];
        store.update(pvType, next);
        return;
      }
      const spec = (pv.spec ?? {}) as VolumeSpec;
      const phase = (pv.status as { phase?: string } | undefined)?.phase;
      const ref = spec.claimRef;
      if (!ref?.uid) {
        if (phase !== 'Available') {
          const next = structuredClone(pv);
          next.status = { phase: 'Available' };
          store.update(pvType, next);
        }
        return;
      }
      const claim = store.get(pvcType, ref.namespace, ref.name ?? '');
      if (claim && claim.metadata.uid === ref.uid) return;
      if ((spec.persistentVolumeReclaimPolicy ?? 'Retain') === 'Delete') {
        store.delete(pvType, undefined, name);
        return;
      }
      if (phase !== 'Released') {
        const next = structuredClone(pv);
        next.status = { phase: 'Released' };
        store.update(pvType, next);
      }
    }

    const queue = ctx.queue('persistent-volume', (key) => {
      const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (kind === 'volume') {
        syncVolume(rest);
        return;
      }
      const { namespace, name } = splitKey(rest);
      syncClaim(namespace!, name, key);
    });

    const pendingClaims = (): void => {
      for (const claim of store.list(pvcType)) {
        if (!(claim.spec as ClaimSpec).volumeName)
          queue.add(`claim:${claim.metadata.namespace}/${claim.metadata.name}`);
      }
    };
    const unsubscribe = onStoreEvents(
      store,
      ['persistentvolumeclaims', 'persistentvolumes', classType.storageKey, 'pods'],
      (event) => {
        const { namespace, name } = event.object.metadata;
        switch (event.storageKey) {
          case 'persistentvolumeclaims':
            if (event.type !== 'DELETED') queue.add(`claim:${namespace}/${name}`);
            for (const pv of store.list(pvType)) {
              if ((pv.spec as VolumeSpec).claimRef?.uid === event.object.metadata.uid)
                queue.add(`volume:${pv.metadata.name}`);
            }
            return;
          case 'persistentvolumes':
            if (event.type !== 'DELETED') queue.add(`volume:${name}`);
            pendingClaims();
            return;
          case 'pods':
            for (const v of (event.object as KubeObject & Pod).spec?.volumes ?? []) {
              const claim =
                v.persistentVolumeClaim && store.get(pvcType, namespace, v.persistentVolumeClaim.claimName);
              if (claim?.metadata.deletionTimestamp) queue.add(`claim:${namespace}/${claim.metadata.name}`);
            }
            return;
          default:
            pendingClaims();
        }
      },
    );
    for (const claim of store.list(pvcType))
      queue.add(`claim:${claim.metadata.namespace}/${claim.metadata.name}`);
    for (const pv of store.list(pvType)) queue.add(`volume:${pv.metadata.name}`);
    return () => {
      unsubscribe();
      for (const id of resyncTimers.values()) clock.clearTimeout(id);
    };
  },
};
