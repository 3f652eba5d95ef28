import type { ReplicaSetObject } from '../replicaset';
import { syncRolloutStatus } from './progress';
import type { DeploymentSyncPass } from './sync';
import {
  activeOnly,
  availableReplicas,
  byCreation,
  deploymentComplete,
  desiredReplicas,
  maxUnavailable,
  replicasOf,
  specReplicas,
  sum,
} from './util';

// rolling.go: the RollingUpdate strategy. The new ReplicaSet grows by up to maxSurge above
// spec.replicas; old ones shrink while at least spec.replicas - maxUnavailable stay available.

export function rolloutRolling(pass: DeploymentSyncPass, rsList: ReplicaSetObject[]): void {
  const got = pass.getAllReplicaSetsAndSyncRevision(rsList, true);
  const newRS = got.newRS!;
  let oldRSs = got.oldRSs;
  const allRSs = [...oldRSs, newRS];
  const scaledUp = reconcileNewReplicaSet(pass, allRSs, newRS);
  if (scaledUp) return syncRolloutStatus(pass, [...oldRSs, scaledUp], scaledUp);
  const scaledDown = reconcileOldReplicaSets(pass, allRSs, oldRSs, newRS);
  if (scaledDown) {
    oldRSs = oldRSs.map((rs) => scaledDown.get(rs.metadata.uid!) ?? rs);
    return syncRolloutStatus(pass, [...oldRSs, newRS], newRS);
  }
  if (deploymentComplete(pass.d, pass.status)) pass.cleanupDeployment(oldRSs);
  syncRolloutStatus(pass, allRSs, newRS);
}

/** Grows (or shrinks to spec.replicas) the new ReplicaSet; the updated one when it scaled. */
function reconcileNewReplicaSet(
  pass: DeploymentSyncPass,
  allRSs: ReplicaSetObject[],
  newRS: ReplicaSetObject,
): ReplicaSetObject | undefined {
  const replicas = desiredReplicas(pass.d);
  if (replicasOf(newRS) === replicas) return undefined;
  const target = replicasOf(newRS) > replicas ? replicas : pass.newRSNewReplicas(allRSs, newRS);
  const result = pass.scaleIfNeeded(newRS, target);
  return result.scaled ? result.rs : undefined;
}

/**
 * `reconcileOldReplicaSets`: shrinks old ReplicaSets as far as maxUnavailable allows,
 * unhealthy replicas first. Returns the scaled ReplicaSets by uid, or undefined.
 */
function reconcileOldReplicaSets(
  pass: DeploymentSyncPass,
  allRSs: ReplicaSetObject[],
  oldRSs: ReplicaSetObject[],
  newRS: ReplicaSetObject,
): Map<string, ReplicaSetObject> | undefined {
  let active = activeOnly(oldRSs);
  if (sum(active, specReplicas) === 0) return undefined;
  const minAvailable = desiredReplicas(pass.d) - maxUnavailable(pass.d);
  const newUnavailable = replicasOf(newRS) - availableReplicas(newRS);
  const maxScaledDown = sum(allRSs, specReplicas) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return undefined;

  const scaled = new Map<string, ReplicaSetObject>();
  // Unhealthy old replicas go first: removing them costs no availability.
  active = [...active].sort(byCreation);
  let cleaned = 0;
  active = active.map((rs) => {
    if (cleaned >= maxScaledDown || replicasOf(rs) === 0 || replicasOf(rs) === availableReplicas(rs))
      return rs;
    const count = Math.min(maxScaledDown - cleaned, replicasOf(rs) - availableReplicas(rs));
    const updated = pass.scaleIfNeeded(rs, replicasOf(rs) - count).rs;
    cleaned += count;
    scaled.set(updated.metadata.uid!, updated);
    return updated;
  });

  const available = sum([...active, newRS], availableReplicas);
  let scaledDown = 0;
  if (available > minAvailable) {
    const total = available - minAvailable;
    for (const rs of active.sort(byCreation)) {
      if (scaledDown >= total) break;
      if (replicasOf(rs) === 0) continue;
      const count = Math.min(replicasOf(rs), total - scaledDown);
      const updated = pass.scaleIfNeeded(rs, replicasOf(rs) - count).rs;
      scaled.set(updated.metadata.uid!, updated);
      scaledDown += count;
    }
  }
  return cleaned + scaledDown > 0 ? scaled : undefined;
}
