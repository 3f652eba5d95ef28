import type { ReplicaSetObject } from '../replicaset';
import type { PodObject } from '../workload-common';
import { syncRolloutStatus } from './progress';
import type { DeploymentSyncPass } from './sync';
import { deploymentComplete, desiredReplicas, replicasOf, statusReplicas, sum } from './util';

// recreate.go: the Recreate strategy. Every old ReplicaSet scales to zero and its pods are gone
// before the new ReplicaSet grows.

export function rolloutRecreate(pass: DeploymentSyncPass, rsList: ReplicaSetObject[]): void {
  let { newRS, oldRSs } = pass.getAllReplicaSetsAndSyncRevision(rsList, false);
  const podMap = pass.podsByReplicaSet(rsList);
  let scaledDown = false;
  oldRSs = oldRSs.map((rs) => {
    if (replicasOf(rs) === 0) return rs;
    const result = pass.scaleIfNeeded(rs, 0);
    scaledDown ||= result.scaled;
    return result.rs;
  });
  if (scaledDown) return syncRolloutStatus(pass, [...oldRSs, newRS], newRS);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(pass, [...oldRSs, newRS], newRS);
  if (!newRS) ({ newRS, oldRSs } = pass.getAllReplicaSetsAndSyncRevision(rsList, true));
  newRS = pass.scaleIfNeeded(newRS!, desiredReplicas(pass.d)).rs;
  if (deploymentComplete(pass.d, pass.status)) pass.cleanupDeployment(oldRSs);
  syncRolloutStatus(pass, [...oldRSs, newRS], newRS);
}

/** Recreate waits until no old pod runs, terminating ones included. */
function oldPodsRunning(
  newRS: ReplicaSetObject | undefined,
  oldRSs: ReplicaSetObject[],
  podMap: Map<string, PodObject[]>,
): boolean {
  if (sum(oldRSs, statusReplicas) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (uid === newRS?.metadata.uid) continue;
    if (pods.some((p) => !['Failed', 'Succeeded'].includes(p.status?.phase ?? ''))) return true;
  }
  return false;
}
