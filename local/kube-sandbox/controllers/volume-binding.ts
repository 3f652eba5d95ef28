import type { Node, Pod } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../quantity';
import { types } from '../runtime';
import type { KubeObject, ObjectStore } from '../store';
import { fitsNodeAffinity } from './node-matching';

/** Set on a claim by the scheduler when its class waits for the first consumer: where to provision. */
export const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

/**
 * What kube-scheduler's VolumeBinding plugin decides for a pod's PersistentVolumeClaims:
 * `preFilter` is a reason that holds on every node (a missing claim, an unbound claim of an
 * Immediate class), `nodeReason` one for a node in particular, `toProvision` the unbound
 * WaitForFirstConsumer claims the chosen node must be written to.
 */
export interface PodVolumes {
  preFilter?: string;
  nodeReason(node: Node): string | undefined;
  toProvision: KubeObject[];
}

interface ClaimSpec {
  storageClassName?: string;
  volumeName?: string;
}

function claimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
  );
}

/** The claim's class, or undefined when it names none or one that does not exist. */
export function classOf(store: ObjectStore, claim: KubeObject): KubeObject | undefined {
  const name = (claim.spec as ClaimSpec | undefined)?.storageClassName;
  return name ? store.get(types['storageclasses.storage.k8s.io'], undefined, name) : undefined;
}

export function isWaitForFirstConsumer(storageClass: KubeObject | undefined): boolean {
  return storageClass?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** A provisioner the sandbox can run: anything but the static-only `kubernetes.io/no-provisioner`. */
export function canProvision(storageClass: KubeObject | undefined): boolean {
  const provisioner = storageClass?.provisioner as string | undefined;
  return Boolean(provisioner) && provisioner !== 'kubernetes.io/no-provisioner';
}

/** The pod's claims as VolumeBinding's PreFilter and Filter judge them. */
export function podVolumes(store: ObjectStore, pod: Pod): PodVolumes {
  const names = claimNames(pod);
  const none: PodVolumes = { nodeReason: () => undefined, toProvision: [] };
  if (names.length === 0) return none;
  const namespace = pod.metadata?.namespace;
  const bound: KubeObject[] = [];
  const delayed: KubeObject[] = [];
  for (const name of names) {
    const claim = store.get(types.persistentvolumeclaims, namespace, name);
    if (!claim) return { ...none, preFilter: `persistentvolumeclaim "${name}" not found` };
    if (claim.metadata.deletionTimestamp) {
      return { ...none, preFilter: `persistentvolumeclaim "${name}" is being deleted` };
    }
    const spec = (claim.spec ?? {}) as ClaimSpec;
    if (spec.volumeName) bound.push(claim);
    else if (isWaitForFirstConsumer(classOf(store, claim))) delayed.push(claim);
    else return { ...none, preFilter: 'pod has unbound immediate PersistentVolumeClaims' };
  }
  const pvType = types.persistentvolumes;
  return {
    toProvision: delayed.filter((c) => !c.metadata.annotations?.[SELECTED_NODE]),
    nodeReason(node) {
      for (const claim of bound) {
        const pv = store.get(pvType, undefined, (claim.spec as ClaimSpec).volumeName!);
        const affinity = (pv?.spec as { nodeAffinity?: { required?: unknown } } | undefined)?.nodeAffinity
          ?.required;
        if (
          affinity &&
          !fitsNodeAffinity(
            {
              affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: affinity } },
            } as never,
            node,
            'absent',
          )
        ) {
          return 'node(s) had volume node affinity conflict';
        }
      }
      for (const claim of delayed) {
        const selected = claim.metadata.annotations?.[SELECTED_NODE];
        if (selected && selected !== node.metadata?.name)
          return "node(s) didn't find available persistent volumes to bind";
        if (!selected && !canProvision(classOf(store, claim)) && !findMatchingVolume(store, claim)) {
          return "node(s) didn't find available persistent volumes to bind";
        }
      }
      return undefined;
    },
  };
}

/** Whether every claim of the pod is bound, so the scheduler may bind the pod (PreBind waits otherwise). */
export function claimsBound(store: ObjectStore, pod: Pod): boolean {
  return claimNames(pod).every((name) =>
    Boolean(
      (store.get(types.persistentvolumeclaims, pod.metadata?.namespace, name)?.spec as ClaimSpec | undefined)
        ?.volumeName,
    ),
  );
}

interface VolumeSpec {
  capacity?: { storage?: string };
  accessModes?: string[];
  storageClassName?: string;
  volumeMode?: string;
  claimRef?: { namespace?: string; name?: string; uid?: string };
}

/**
 * The smallest Available volume that satisfies a claim (findMatchingVolume): same class, every
 * access mode asked for, enough capacity, same volume mode, the claim's selector; a volume
 * pre-bound to this claim wins.
 */
export function findMatchingVolume(store: ObjectStore, claim: KubeObject): KubeObject | undefined {
  const spec = (claim.spec ?? {}) as ClaimSpec & {
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
    selector?: { matchLabels?: Record<string, string> };
  };
  const wanted = parseQuantity(spec.resources?.requests?.storage ?? '0');
  let best: KubeObject | undefined;
  for (const pv of store.list(types.persistentvolumes)) {
    if (pv.metadata.deletionTimestamp) continue;
    const pvSpec = (pv.spec ?? {}) as VolumeSpec;
    const ref = pvSpec.claimRef;
    const preBound = ref?.name === claim.metadata.name && ref?.namespace === claim.metadata.namespace;
    if (ref && !preBound) continue;
    if (ref?.uid && ref.uid !== claim.metadata.uid) continue;
    if ((pvSpec.storageClassName ?? '') !== (spec.storageClassName ?? '')) continue;
    if ((pvSpec.volumeMode ?? 'Filesystem') !== (spec.volumeMode ?? 'Filesystem')) continue;
    if (!(spec.accessModes ?? []).every((m) => (pvSpec.accessModes ?? []).includes(m))) continue;
    const size = parseQuantity(pvSpec.capacity?.storage ?? '0');
    if (size < wanted) continue;
    const labels = pv.metadata.labels ?? {};
    if (!Object.entries(spec.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)) continue;
    if (preBound) return pv;
    if (!best || size < parseQuantity(((best.spec ?? {}) as VolumeSpec).capacity?.storage ?? '0')) best = pv;
  }
  return best;
}
