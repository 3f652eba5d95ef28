import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { OwnerLookup } from '../../lambdas/intake/owner-lookup';

/** A captured Alertmanager delivery: one KubePodCrashLooping alert, firing. */
export const CRASHLOOP_FIRING = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'alertmanager', 'crashloop-firing.json'), 'utf8'),
) as Record<string, unknown>;

/**
 * Owners as Kubernetes names them, without a cluster: a pod's ReplicaSet is its name less the
 * pod suffix, a ReplicaSet's Deployment its name less the pod-template hash.
 */
export const nameDerivedOwners: OwnerLookup = {
  async controllerOf(_namespace, kind, name) {
    if (kind === 'Pod')
      return { controller: { kind: 'ReplicaSet', name: name.replace(/-[a-z0-9]{5}$/, '') } };
    if (kind === 'ReplicaSet')
      return { controller: { kind: 'Deployment', name: name.replace(/-[a-z0-9]+$/, '') } };
    return undefined;
  },
};
