import { errors } from '../errors';
import { apiVersionOf } from '../resources';
import type { DeleteOptions } from '../store';
import type { RequestContext, ResourceRoute } from './context';
import { selectorsOf } from './list';
import { view } from './response';
import { readBody } from './rest';
import { sendJson } from './writers';

async function deleteOptions(ctx: RequestContext): Promise<DeleteOptions> {
  const params = ctx.url.searchParams;
  const body = await readBody(ctx);
  let options: DeleteOptions = {};
  if (body.trim()) {
    try {
      options = JSON.parse(body) as DeleteOptions;
    } catch (error) {
      throw errors.badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
    }
    if (((options as { dryRun?: string[] }).dryRun ?? []).includes('All')) ctx.entry.dryRun = true;
  }
  const policy = params.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  const grace = params.get('gracePeriodSeconds');
  if (grace !== null) options.gracePeriodSeconds = Number(grace);
  if (
    options.propagationPolicy &&
    !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)
  ) {
    throw errors.badRequest(
      `propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  return options;
}

/** DELETE of one object: the object while it is not gone yet (and always for pods), else a Success Status. */
export async function deleteOne(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const options = await deleteOptions(ctx);
  const { store } = ctx.deps;
  if (ctx.entry.dryRun) {
    sendJson(ctx, 200, view(t, store.mustGet(t, route.namespace, route.name!)));
    return;
  }
  const { object, removed } = store.delete(t, route.namespace, route.name!, options);
  if (!removed || t.storageKey === 'pods') {
    sendJson(ctx, 200, view(t, object));
    return;
  }
  sendJson(ctx, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: object.metadata.name,
      group: t.group || undefined,
      kind: t.plural,
      uid: object.metadata.uid,
    },
  });
}

/** DELETE of a collection: every selected object, listed as deleted. */
export async function deleteCollection(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const options = await deleteOptions(ctx);
  const { store } = ctx.deps;
  const matches = selectorsOf(ctx, t);
  const victims = store.list(t, route.namespace).filter(matches);
  const deleted = ctx.entry.dryRun
    ? victims
    : victims.map((obj) => store.delete(t, obj.metadata.namespace, obj.metadata.name!, options).object);
  sendJson(ctx, 200, {
    kind: `${t.kind}List`,
    apiVersion: apiVersionOf(t),
    metadata: { resourceVersion: String(store.resourceVersion) },
    items: deleted.map((obj) => view(t, obj)),
  });
}
