import { labelSelectorPredicate } from '../selectors';
import { onStoreEvents, splitKey, types, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject } from '../store';
import { isPodReady, type PodObject } from './workload-common';

/** How long an eviction's entry in `disruptedPods` counts before the controller drops it (DeletionTimeout). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

export interface BudgetSpec {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  selector?: {
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  };
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}

export interface BudgetStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Array<Record<string, unknown>>;
}

/** The pods a budget covers: its namespace's pods its selector matches (an empty selector matches none). */
export function budgetPods(ctx: Pick<ControllerContext, 'store'>, pdb: KubeObject): PodObject[] {
  const selector = (pdb.spec as BudgetSpec | undefined)?.selector;
  if (!selector) return [];
  const matches = labelSelectorPredicate(selector);
  return (ctx.store.list(types.pods, pdb.metadata.namespace) as PodObject[]).filter((p) =>
    matches(p.metadata.labels ?? {}),
  );
}

function percent(value: number | string, of: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const n = Number(value.replace('%', ''));
  return roundUp ? Math.ceil((n * of) / 100) : Math.floor((n * of) / 100);
}

const SCALABLE: Record<string, string> = {
  ReplicaSet: 'replicasets.apps',
  Deployment: 'deployments.apps',
  StatefulSet: 'statefulsets.apps',
  ReplicationController: 'replicationcontrollers',
};

/**
 * The replicas the pods' controllers ask for (getExpectedScale): each pod's controller, a
 * ReplicaSet counted through its Deployment, each controller once. Undefined when a pod has
 * no scalable controller, the "CalculateExpectedPodCountFailed" case.
 */
function expectedScale(ctx: Pick<ControllerContext, 'store'>, pods: PodObject[]): number | undefined {
  const seen = new Map<string, number>();
  for (const pod of pods) {
    let ref = pod.metadata.ownerReferences?.find((r) => r.controller);
    if (!ref || !SCALABLE[ref.kind]) return undefined;
    let owner = ctx.store.get(types[SCALABLE[ref.kind]], pod.metadata.namespace, ref.name);
    if (ref.kind === 'ReplicaSet' && owner) {
      const deployment = owner.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
      if (deployment) {
        ref = deployment;
        owner = ctx.store.get(types['deployments.apps'], pod.metadata.namespace, deployment.name);
      }
    }
    if (!owner) return undefined;
    seen.set(owner.metadata.uid!, (owner.spec as { replicas?: number }).replicas ?? 1);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/**
 * A budget's status as the disruption controller computes it: expected pods (the controllers'
 * scale, or the matching pods for an integer minAvailable), desired healthy, current healthy
 * (Ready pods not being deleted nor just evicted), disruptions allowed and the
 * DisruptionAllowed condition.
 */
export function computeBudgetStatus(
  ctx: Pick<ControllerContext, 'store'>,
  pdb: KubeObject,
  now: number,
  nowText: string,
): { status: BudgetStatus; scaleUnknown: boolean; noPods: boolean } {
  const spec = (pdb.spec ?? {}) as BudgetSpec;
  const previous = (pdb.status ?? {}) as Partial<BudgetStatus>;
  const pods = budgetPods(ctx, pdb);
  const disrupted: Record<string, string> = {};
  for (const [name, at] of Object.entries(previous.disruptedPods ?? {})) {
    const pod = pods.find((p) => p.metadata.name === name);
    if (pod && !pod.metadata.deletionTimestamp && Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS > now)
      disrupted[name] = at;
  }
  let expected = pods.length;
  let desired = 0;
  let scaleUnknown = false;
  if (spec.maxUnavailable !== undefined || typeof spec.minAvailable === 'string') {
    const scale = expectedScale(ctx, pods);
    if (scale === undefined) scaleUnknown = pods.length > 0;
    expected = scale ?? 0;
    desired =
      spec.maxUnavailable !== undefined
        ? Math.max(0, expected - percent(spec.maxUnavailable, expected, true))
        : percent(spec.minAvailable!, expected, true);
  } else if (spec.minAvailable !== undefined) {
    desired = spec.minAvailable;
  }
  const healthy = pods.filter(
    (p) => !p.metadata.deletionTimestamp && !disrupted[p.metadata.name!] && isPodReady(p),
  ).length;
  const allowed = scaleUnknown ? 0 : Math.max(0, healthy - desired);
  const oldCondition = previous.conditions?.find((c) => c.type === 'DisruptionAllowed');
  const conditionStatus = allowed > 0 ? 'True' : 'False';
  const reason = scaleUnknown ? 'SyncFailed' : allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
  return {
    scaleUnknown,
    noPods: pods.length === 0,
    status: {
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: conditionStatus,
          observedGeneration: pdb.metadata.generation,
          lastTransitionTime:
            oldCondition && oldCondition.status === conditionStatus && oldCondition.reason === reason
              ? oldCondition.lastTransitionTime
              : nowText,
          reason,
          message: '',
        },
      ],
      observedGeneration: pdb.metadata.generation,
    },
  };
}

/**
 * The disruption controller: keeps every PodDisruptionBudget's status current as its pods
 * come, go and change readiness, expires eviction entries in `disruptedPods` after two
 * minutes, and reports budgets that select no pod (NoPods) or whose pods have no scalable
 * controller (CalculateExpectedPodCountFailed), as upstream.
 */
export const disruptionController: Controller = {
  name: 'disruption',
  start(ctx: ControllerContext) {
    const { store, clock, events } = ctx;
    const pdbType = types['poddisruptionbudgets.policy'];
    const timers = new Set<number>();

    const queue = ctx.queue('disruption', (key) => {
      const { namespace, name } = splitKey(key);
      const pdb = store.get(pdbType, namespace, name);
      if (!pdb || pdb.metadata.deletionTimestamp) return;
      const { status, scaleUnknown, noPods } = computeBudgetStatus(ctx, pdb, clock.now(), clock.rfc3339());
      const owner = { ...pdb, apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };
      if (noPods)
        events.record(owner, 'Normal', 'NoPods', 'No matching pods found', {
          component: 'controllermanager',
        });
      if (scaleUnknown) {
        events.record(
          owner,
          'Warning',
          'CalculateExpectedPodCountFailed',
          'Failed to calculate the number of expected pods: found no controllers for pods',
          {
            component: 'controllermanager',
          },
        );
      }
      for (const at of Object.values(status.disruptedPods ?? {})) {
        const id = clock.setTimeout(
          () => {
            timers.delete(id);
            queue.add(key);
          },
          Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS - clock.now(),
        );
        timers.add(id);
      }
      if (JSON.stringify(status) === JSON.stringify(pdb.status)) return;
      store.update(pdbType, { ...structuredClone(pdb), status });
    });

    const unsubscribe = onStoreEvents(
      store,
      [pdbType.storageKey, 'pods', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps'],
      (event) => {
        const { namespace, name } = event.object.metadata;
        if (event.storageKey === pdbType.storageKey) {
          if (event.type !== 'DELETED') queue.add(`${namespace}/${name}`);
          return;
        }
        for (const pdb of store.list(pdbType, namespace)) queue.add(`${namespace}/${pdb.metadata.name}`);
      },
    );
    for (const pdb of store.list(pdbType)) queue.add(`${pdb.metadata.namespace}/${pdb.metadata.name}`);
    return () => {
      unsubscribe();
      for (const id of timers) clock.clearTimeout(id);
    };
  },
};
