import { workloadTarget, type CollectedEvents, type StepEvent } from '../shared/contracts';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { evidenceKeys } from '../shared/evidence/layout';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import { withoutManagedFields } from '../shared/kubernetes/served-json';

export interface CollectEventsDeps {
  kube: StepKubernetes<'collect-events'>;
  evidence: EvidenceStore;
  now: () => Date;
}

/**
 * Collect Events: every event about the workload, its ReplicaSets/ControllerRevisions and
 * its pods (including pods already replaced), core/v1 and events.k8s.io/v1, in `kubectl
 * events` order. Writes events.json, then the manifest of the bundle so far.
 */
export async function collectEvents(event: StepEvent, deps: CollectEventsDeps): Promise<CollectedEvents> {
  const { evidencePrefix: prefix } = event.state.incident;
  const target = workloadTarget(event.state.incident.target);
  const subjects = await deps.kube.events.eventSubjects(target);
  // As served: timestamps (MicroTime microseconds included) exactly as the API server wrote them.
  const events = await deps.kube.events.listServedEvents(target.namespace, subjects);
  const items = events.map(withoutManagedFields);
  const warnings = items.filter((e) => e.type === 'Warning').length;
  const written = await deps.evidence.putJson(evidenceKeys.events(prefix), {
    kind: 'EventList',
    apiVersion: 'v1',
    collectedAt: deps.now().toISOString(),
    target,
    items,
  });
  const manifest = await deps.evidence.updateManifest(prefix, [written]);
  return { count: items.length, warnings, evidence: { events: written.key, manifest: manifest.key } };
}
