import { workloadTarget, type RestartResult, type StepEvent } from '../shared/contracts';
import { assertRemediationAllowed, type RemediateDeps } from '../shared/remediation';

/** Restart: `kubectl rollout restart`, recording the revision that was running. */
export async function restart(event: StepEvent, deps: RemediateDeps): Promise<RestartResult> {
  assertRemediationAllowed(event.state, deps.allowedNamespaces, 'rollout restart');
  return deps.kube.rolloutRestart(workloadTarget(event.state.incident.target), deps.now());
}
