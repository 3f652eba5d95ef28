import type {
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSpec,
  Taint,
  Toleration,
} from 'kubernetes-types/core/v1';

/*
 * Whether a pod may go to a node, as the default scheduler and the DaemonSet controller both
 * judge it (k8s.io/component-helpers/scheduling/corev1): nodeSelector and required node
 * affinity against the node's labels and name, and tolerations against taints.
 */

/** ToleratesTaint for any of `tolerations`: an empty key with Exists tolerates every taint. */
export function tolerates(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

/** The taints that keep a pod off a node (NoSchedule, NoExecute) and that it does not tolerate. */
export function untoleratedTaints(taints: Taint[], tolerations: Toleration[] | undefined): Taint[] {
  return taints.filter(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t),
  );
}

/** The taint the node lifecycle controller puts on a node whose Ready condition is not True. */
export function readinessTaintKey(node: Node): string | undefined {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return undefined;
  return ready?.status === 'False' ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable';
}

/** A label's (or a node field's) value against one requirement; undefined is an absent one. */
function matchesRequirement(value: string | undefined, r: NodeSelectorRequirement): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/**
 * How a matchFields requirement on a field other than `metadata.name` is judged: as one on a
 * field the node does not have (the scheduler) or as never met (the DaemonSet controller). A real
 * API server rejects such a requirement; the sandbox's admission lets it through.
 */
export type OtherFieldRequirements = 'absent' | 'unmet';

function matchesTerm(node: Node, term: NodeSelectorTerm, otherFields: OtherFieldRequirements): boolean {
  const labels = node.metadata?.labels ?? {};
  const fields: Record<string, string> = { 'metadata.name': node.metadata?.name ?? '' };
  const expressions = term.matchExpressions ?? [];
  const fieldRequirements = term.matchFields ?? [];
  if (expressions.length === 0 && fieldRequirements.length === 0) return false;
  return (
    expressions.every((r) => matchesRequirement(labels[r.key], r)) &&
    fieldRequirements.every(
      (r) => (otherFields === 'absent' || r.key === 'metadata.name') && matchesRequirement(fields[r.key], r),
    )
  );
}

/** Whether the node's labels and name meet the pod spec's nodeSelector and required node affinity. */
export function fitsNodeAffinity(
  spec: PodSpec | undefined,
  node: Node,
  otherFields: OtherFieldRequirements,
): boolean {
  const labels = node.metadata?.labels ?? {};
  if (!Object.entries(spec?.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !required || required.nodeSelectorTerms.some((term) => matchesTerm(node, term, otherFields));
}
