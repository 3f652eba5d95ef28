import { isDeepStrictEqual } from 'node:util';
import { admit } from '../admission';
import { fieldValidationOf, validateFields } from '../admission/field-validation';
import { errors } from '../errors';
import type { KubeObject } from '../store';
import type { RequestContext, ResourceRoute } from './context';
import { view } from './response';
import { checkTypeMeta, readObject, toStorage } from './rest';
import { scaleOf } from './scale';
import { sendJson } from './writers';

/** PUT: the body is the next object (or Scale). */
export function update(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  return writeObject(ctx, route, 'update', () => readObject(ctx));
}

/**
 * What the request proposes the object becomes, given the object as this endpoint shows it
 * (the Scale for `scale`): the body itself for update, the patched original for patch.
 */
export type Proposal = (original: object) => Promise<object>;

/** update and patch: build the next object, keep what this endpoint may not change, store. */
export async function writeObject(
  ctx: RequestContext,
  route: ResourceRoute,
  verb: 'update' | 'patch',
  propose: Proposal,
): Promise<void> {
  const { t } = route;
  const { store } = ctx.deps;
  const current = store.mustGet(t, route.namespace, route.name!);
  let next: KubeObject;
  if (route.subresource === 'scale') {
    const scale = await propose(scaleOf(t, current));
    checkTypeMeta(t, scale as KubeObject, 'Scale', 'autoscaling/v1');
    const replicas = (scale as { spec?: { replicas?: number } }).spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('Scale', 'autoscaling', route.name!, [
        {
          field: 'spec.replicas',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        },
      ]);
    }
    next = structuredClone(current);
    (next.spec as { replicas: number }).replicas = replicas;
  } else {
    const proposed = (await propose(view(t, current))) as KubeObject;
    checkTypeMeta(t, proposed);
    const directive = fieldValidationOf(
      ctx.url.searchParams.get('fieldValidation'),
      verb === 'update' ? 'UpdateOptions' : 'PatchOptions',
    );
    ctx.warnings.push(...validateFields(t, proposed, directive, verb === 'patch'));
    if (proposed.metadata?.name !== undefined && proposed.metadata.name !== route.name) {
      throw errors.badRequest(
        `the name of the object (${proposed.metadata.name}) does not match the name on the URL (${route.name})`,
      );
    }
    if (t.namespaced && proposed.metadata?.namespace && proposed.metadata.namespace !== route.namespace) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const incoming = toStorage(t, proposed);
    if (route.subresource === 'status') {
      next = { ...structuredClone(current), status: incoming.status };
      next.metadata.resourceVersion = incoming.metadata.resourceVersion;
    } else {
      next = incoming;
      next.metadata.name = route.name;
      if (t.namespaced) next.metadata.namespace = route.namespace;
      if ((t.subresources ?? []).includes('status')) next.status = structuredClone(current.status);
    }
  }
  const expected = next.metadata.resourceVersion || undefined;
  if (expected !== undefined && expected !== current.metadata.resourceVersion) {
    throw errors.conflict(
      t.plural,
      t.group,
      route.name!,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
  admit(t, next, current);
  if (ctx.entry.dryRun) {
    sendJson(ctx, 200, view(t, next));
    return;
  }
  // A write that changes nothing is not stored: same resourceVersion, no watch event.
  if (sameContent(next, current)) {
    sendJson(ctx, 200, route.subresource === 'scale' ? scaleOf(t, current) : view(t, current));
    return;
  }
  const stored = store.update(t, next, expected);
  sendJson(ctx, 200, route.subresource === 'scale' ? scaleOf(t, stored) : view(t, stored));
}

/**
 * Equal as JSON (absent and undefined alike, key order aside), apart from what a write cannot
 * change: resourceVersion and the identity the store keeps (uid, timestamps, generation).
 */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const canonical = (obj: KubeObject): unknown => {
    const {
      resourceVersion: _r,
      uid: _u,
      creationTimestamp: _c,
      deletionTimestamp: _d,
      generation: _g,
      ...meta
    } = obj.metadata;
    return JSON.parse(JSON.stringify({ ...obj, metadata: meta }));
  };
  return isDeepStrictEqual(canonical(a), canonical(b));
}
