/**
 * The namespace controller (pkg/controller/namespace): a namespace being deleted stays
 * `Terminating` while its content is deleted as any client would delete it — pods gracefully,
 * through the kubelet, objects with finalizers once those are removed — and goes once nothing
 * is left in it. Meanwhile the API server refuses new content (403, `unable to create new
 * content in namespace X because it is being terminated`).
 */
import { RESOURCE_TYPES } from '../resources';
import { onStoreEvents, type Controller, type ControllerContext } from '../runtime';

/** One stored copy of each namespaced type (events.k8s.io/v1 Events are the core/v1 ones). */
const NAMESPACED = RESOURCE_TYPES.filter((t) => t.namespaced && !(t.storageKey === 'events' && t.group));
const NAMESPACES = RESOURCE_TYPES.find((t) => t.storageKey === 'namespaces')!;

export const namespaceController: Controller = {
  name: 'namespace',
  start(ctx: ControllerContext) {
    const { store } = ctx;
    const queue = ctx.queue('namespace', (name) => {
      const ns = store.get(NAMESPACES, undefined, name);
      if (!ns?.metadata.deletionTimestamp) return;
      for (const t of NAMESPACED) {
        for (const obj of [...store.list(t, name)]) {
          if (!obj.metadata.deletionTimestamp) {
            store.delete(t, name, obj.metadata.name!, { propagationPolicy: 'Background' });
          }
        }
      }
      if (NAMESPACED.every((t) => store.list(t, name).length === 0)) store.remove(NAMESPACES, ns);
    });
    const unsubscribe = onStoreEvents(
      store,
      [NAMESPACES.storageKey, ...NAMESPACED.map((t) => t.storageKey)],
      (event) => {
        // Listeners hear a write before the store holds it: a namespace's own event carries its state.
        if (event.storageKey === NAMESPACES.storageKey) {
          if (event.object.metadata.deletionTimestamp) queue.add(event.object.metadata.name!);
          return;
        }
        const name = event.object.metadata.namespace;
        if (name && store.get(NAMESPACES, undefined, name)?.metadata.deletionTimestamp) queue.add(name);
      },
    );
    for (const ns of store.list(NAMESPACES)) if (ns.metadata.deletionTimestamp) queue.add(ns.metadata.name!);
    return unsubscribe;
  },
};
