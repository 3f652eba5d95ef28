import { keyOf, onStoreEvents, splitKey, types, type Controller } from '../../runtime';
import type { KubeObject } from '../../store';
import { controllerOf, selectorMatcher } from '../workload-common';
import { DeploymentSyncPass } from './sync';
import type { DeploymentObject } from './util';

/**
 * The Deployment controller (pkg/controller/deployment): one ReplicaSet per pod template named
 * `<deployment>-<pod-template-hash>`, rolled out with RollingUpdate (maxSurge / maxUnavailable)
 * or Recreate, revisions and revision history in annotations, proportional scaling, pause,
 * revisionHistoryLimit cleanup, and the Available / Progressing conditions with the progress
 * deadline re-checked on the sandbox clock.
 */
export const deploymentController: Controller = {
  name: 'deployment',
  start(ctx) {
    const timers = new Map<string, number>();
    const t = types['deployments.apps'];
    const clearTimer = (key: string): void => {
      const id = timers.get(key);
      if (id !== undefined) ctx.clock.clearTimeout(id);
      timers.delete(key);
    };
    const after = (key: string, delayMs: number): void => {
      clearTimer(key);
      timers.set(
        key,
        ctx.clock.setTimeout(() => {
          timers.delete(key);
          queue.add(key);
        }, delayMs),
      );
    };
    const queue = ctx.queue('deployment', (key) => {
      const { namespace, name } = splitKey(key);
      const stored = ctx.store.get(t, namespace, name) as DeploymentObject | undefined;
      if (!stored) return clearTimer(key);
      const pass = new DeploymentSyncPass(ctx, stored);
      pass.run();
      if (!pass.commit()) return queue.add(key);
      if (pass.retryAfterMs !== undefined) return after(key, pass.retryAfterMs);
      if (pass.progressCheck) {
        const { from, deadlineMs } = pass.progressCheck;
        // One second past the deadline, as the real controller re-queues, so it has passed for sure.
        return after(key, Math.max(1, from + deadlineMs - ctx.clock.now() + 1000));
      }
      clearTimer(key);
    });

    const ownerKey = (obj: KubeObject): string | undefined => {
      const ref = controllerOf(obj);
      if (ref?.kind !== 'Deployment') return undefined;
      const d = ctx.store.get(t, obj.metadata.namespace, ref.name);
      return d?.metadata.uid === ref.uid ? keyOf(d) : undefined;
    };
    const unsubscribe = onStoreEvents(
      ctx.store,
      ['deployments.apps', 'replicasets.apps', 'pods'],
      (event) => {
        const obj = event.object;
        if (event.storageKey === 'deployments.apps') return queue.add(keyOf(obj));
        if (event.storageKey === 'replicasets.apps') {
          const key = ownerKey(obj);
          if (key) return queue.add(key);
          if (controllerOf(obj) || event.type === 'DELETED') return;
          // An orphan: the Deployments that select it may adopt it.
          for (const d of ctx.store.list(t, obj.metadata.namespace) as DeploymentObject[]) {
            if (selectorMatcher(d.spec?.selector)(obj.metadata.labels)) queue.add(keyOf(d));
          }
          return;
        }
        // Recreate waits for the last old pod to go away.
        if (event.type !== 'DELETED') return;
        const ref = controllerOf(obj);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = ctx.store.get(types['replicasets.apps'], obj.metadata.namespace, ref.name);
        const key = rs && ownerKey(rs);
        if (key) queue.add(key);
      },
    );
    for (const d of ctx.store.list(t)) queue.add(keyOf(d));
    return () => {
      unsubscribe();
      for (const key of [...timers.keys()]) clearTimer(key);
    };
  },
};
