import type { SandboxClock } from './clock';
import type { BudgetSpec, BudgetStatus } from './controllers/disruption';
import { isPodReady, type PodObject } from './controllers/workload-common';
import { ApiError, errors } from './errors';
import { labelSelectorPredicate } from './selectors';
import { types } from './runtime';
import type { DeleteOptions, KubeObject, ObjectStore } from './store';

/** The Eviction a client posts to `pods/NAME/eviction` (policy/v1, or v1beta1 from old clients). */
export interface Eviction {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  deleteOptions?: DeleteOptions & { dryRun?: string[] };
}

const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';

function tooManyRequests(message: string, causes: Array<{ reason: string; message: string }> = []): ApiError {
  return new ApiError(429, 'TooManyRequests', message, { ...(causes.length ? { causes } : {}) });
}

/**
 * The eviction subresource (pkg/registry/core/pod/storage/eviction.go): deletes the pod unless
 * that would break its PodDisruptionBudget. Pods that are not running (Pending, finished) or
 * already terminating are deleted without asking the budget; more than one budget is an error;
 * a budget its controller has not yet observed, or with no disruption left, answers 429 with
 * the DisruptionBudget cause (kubectl drain retries on it). An allowed eviction takes one
 * disruption from the budget and records the pod in `disruptedPods`, then deletes the pod
 * gracefully with the DisruptionTarget condition (EvictionByEvictionAPI).
 */
export function evictPod(
  store: ObjectStore,
  clock: SandboxClock,
  namespace: string,
  name: string,
  eviction: Eviction,
  dryRun: boolean,
): void {
  if (eviction.metadata?.name && eviction.metadata.name !== name) {
    throw errors.badRequest(`name in URL does not match name in Eviction object`);
  }
  const pod = store.mustGet(types.pods, namespace, name) as PodObject;
  const options = eviction.deleteOptions ?? {};
  const phase = pod.status?.phase;
  const skipBudget =
    Boolean(pod.metadata.deletionTimestamp) ||
    phase === 'Pending' ||
    phase === 'Succeeded' ||
    phase === 'Failed';
  const pdbType = types['poddisruptionbudgets.policy'];
  if (!skipBudget) {
    const budgets = store.list(pdbType, namespace).filter((pdb) => {
      const selector = (pdb.spec as BudgetSpec | undefined)?.selector;
      return selector && labelSelectorPredicate(selector)(pod.metadata.labels ?? {});
    });
    if (budgets.length > 1) {
      throw errors.internal(
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    }
    const [pdb] = budgets;
    if (pdb) takeDisruption(store, clock, pdb, pod, dryRun);
  }
  if (dryRun) return;
  if (!pod.metadata.deletionTimestamp) {
    const marked = structuredClone(pod);
    const status = (marked.status ??= {});
    status.conditions = [
      ...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
        lastTransitionTime: clock.rfc3339(),
      } as never,
    ];
    store.update(types.pods, marked);
  }
  store.delete(types.pods, namespace, name, options);
}

function takeDisruption(
  store: ObjectStore,
  clock: SandboxClock,
  pdb: KubeObject,
  pod: PodObject,
  dryRun: boolean,
): void {
  const spec = (pdb.spec ?? {}) as BudgetSpec;
  const status = (pdb.status ?? {}) as Partial<BudgetStatus>;
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) {
    throw tooManyRequests(
      `Cannot evict pod as it would violate the pod's disruption budget. The disruption budget ${pdb.metadata.name} is still being processed by the server.`,
      [
        {
          reason: DISRUPTION_BUDGET_CAUSE,
          message: `The disruption budget ${pdb.metadata.name} is still being processed by the server.`,
        },
      ],
    );
  }
  const current = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...status };
  // An unready pod is not part of the healthy count: evicting it cannot break a budget that holds.
  const unhealthy = !isPodReady(pod);
  if (unhealthy) {
    const alwaysAllow = spec.unhealthyPodEvictionPolicy === 'AlwaysAllow';
    if (alwaysAllow || current.currentHealthy >= current.desiredHealthy) return;
  }
  if (current.disruptionsAllowed <= 0) {
    throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", [
      {
        reason: DISRUPTION_BUDGET_CAUSE,
        message: `The disruption budget ${pdb.metadata.name} needs ${current.desiredHealthy} healthy pods and has ${current.currentHealthy} currently`,
      },
    ]);
  }
  if (dryRun) return;
  const next = structuredClone(pdb);
  const nextStatus: BudgetStatus = { ...current };
  nextStatus.disruptionsAllowed -= 1;
  nextStatus.disruptedPods = { ...nextStatus.disruptedPods, [pod.metadata.name!]: clock.rfc3339() };
  if (nextStatus.disruptionsAllowed === 0) {
    nextStatus.conditions = (nextStatus.conditions ?? []).map((c) =>
      c.type === 'DisruptionAllowed'
        ? { ...c, status: 'False', reason: 'InsufficientPods', lastTransitionTime: clock.rfc3339() }
        : c,
    );
  }
  next.status = nextStatus;
  store.update(types['poddisruptionbudgets.policy'], next);
}
