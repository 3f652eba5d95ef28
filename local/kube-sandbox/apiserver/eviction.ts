import { evictPod, type Eviction } from '../eviction';
import type { KubeObject } from '../store';
import type { RequestContext, ResourceRoute } from './context';
import { checkTypeMeta, readObject } from './rest';
import { sendJson } from './writers';

/** POST pods/NAME/eviction: a policy/v1 Eviction, answered with a Success Status (201). */
export async function evict(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const eviction = (await readObject(ctx)) as Eviction;
  const apiVersion = eviction.apiVersion === 'policy/v1beta1' ? 'policy/v1beta1' : 'policy/v1';
  checkTypeMeta(route.t, eviction as KubeObject, 'Eviction', apiVersion);
  const dryRun = ctx.entry.dryRun || (eviction.deleteOptions?.dryRun ?? []).includes('All');
  evictPod(ctx.deps.store, ctx.deps.clock, route.namespace!, route.name!, eviction, dryRun);
  sendJson(ctx, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
