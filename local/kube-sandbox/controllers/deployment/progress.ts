import type { ReplicaSetObject } from '../replicaset';
import type { DeploymentSyncPass } from './sync';
import {
  deploymentComplete,
  deploymentProgressing,
  DeploymentReasons,
  getCondition,
  hasProgressDeadline,
  removeCondition,
  setCondition,
  type Condition,
  type Status,
} from './util';

// progress.go: the Progressing and ReplicaFailure conditions, the progress deadline, and when to
// look at a Deployment again if nothing else wakes its sync.

/** `syncRolloutStatus`: status plus the Progressing condition and the progress deadline. */
export function syncRolloutStatus(
  pass: DeploymentSyncPass,
  rss: Array<ReplicaSetObject | undefined>,
  newRS: ReplicaSetObject | undefined,
): void {
  const d = pass.d;
  const previous = pass.status;
  const next = pass.calculateStatus(rss, newRS);
  if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');
  const current = getCondition(previous, 'Progressing');
  const complete =
    next.replicas === next.updatedReplicas && current?.reason === DeploymentReasons.NewRSAvailable;
  const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, next)) {
      setCondition(
        next,
        pass.condition(
          'Progressing',
          'True',
          DeploymentReasons.NewRSAvailable,
          `${subject} has successfully progressed.`,
        ),
      );
    } else if (deploymentProgressing(previous, next)) {
      const condition = pass.condition(
        'Progressing',
        'True',
        DeploymentReasons.ReplicaSetUpdated,
        `${subject} is progressing.`,
      );
      // Unlike other conditions, Progressing moves lastUpdateTime on every sign of progress.
      if (current) {
        if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, 'Progressing');
      }
      setCondition(next, condition);
    } else if (timedOut(pass, next)) {
      setCondition(
        next,
        pass.condition(
          'Progressing',
          'False',
          DeploymentReasons.TimedOut,
          `${subject} has timed out progressing.`,
        ),
      );
    }
  }
  const failures = replicaFailures(rss, newRS);
  if (failures.length > 0) setCondition(next, failures[0]);
  else removeCondition(next, 'ReplicaFailure');
  d.status = next;
  planProgressCheck(pass, next);
}

/** `DeploymentTimedOut`: no progress reported for longer than progressDeadlineSeconds. */
function timedOut(pass: DeploymentSyncPass, status: Status): boolean {
  const condition = getCondition(status, 'Progressing');
  if (!condition || condition.reason === DeploymentReasons.NewRSAvailable) return false;
  if (condition.reason === DeploymentReasons.TimedOut) return true;
  const from = Date.parse(condition.lastUpdateTime ?? '');
  return from + pass.d.spec!.progressDeadlineSeconds! * 1000 < pass.ctx.clock.now();
}

/** ReplicaFailure conditions of the new ReplicaSet, else of the old ones, as Deployment conditions. */
function replicaFailures(
  rss: Array<ReplicaSetObject | undefined>,
  newRS: ReplicaSetObject | undefined,
): Condition[] {
  const convert = (rs: ReplicaSetObject | undefined): Condition[] =>
    (rs?.status?.conditions ?? [])
      .filter((c) => c.type === 'ReplicaFailure')
      .map((c) => ({
        type: c.type,
        status: c.status,
        lastUpdateTime: c.lastTransitionTime,
        lastTransitionTime: c.lastTransitionTime,
        reason: c.reason,
        message: c.message,
      }));
  const fromNew = convert(newRS);
  return fromNew.length > 0 ? fromNew : rss.flatMap(convert);
}

/** `requeueStuckDeployment`: when to look again if nothing else happens. */
function planProgressCheck(pass: DeploymentSyncPass, status: Status): void {
  const current = getCondition(status, 'Progressing');
  if (!hasProgressDeadline(pass.d) || !current) return;
  if (deploymentComplete(pass.d, status) || current.reason === DeploymentReasons.TimedOut) return;
  pass.progressCheck = {
    from: Date.parse(current.lastUpdateTime ?? ''),
    deadlineMs: pass.d.spec!.progressDeadlineSeconds! * 1000,
  };
}
