import type { RequestContext, ResourceRoute } from './context';
import { metadataMismatch, partialObjectMetadata, responseShape, tableOf, view } from './response';
import { scaleOf } from './scale';
import { sendJson } from './writers';

/** GET of one object (or its Scale): the object, a Table or its metadata, as Accept asks. */
export function getOne(ctx: RequestContext, route: ResourceRoute): void {
  const { t } = route;
  const obj = ctx.deps.store.mustGet(t, route.namespace, route.name!);
  if (route.subresource === 'scale') {
    sendJson(ctx, 200, scaleOf(t, obj));
    return;
  }
  const shape = responseShape(ctx);
  if (shape.as === 'Table') {
    sendJson(ctx, 200, tableOf(ctx, t, [obj], { resourceVersion: obj.metadata.resourceVersion }));
    return;
  }
  if (shape.as === 'PartialObjectMetadataList') throw metadataMismatch(t, shape.as, false);
  sendJson(
    ctx,
    200,
    shape.as === 'PartialObjectMetadata' ? partialObjectMetadata(obj, shape.version) : view(t, obj),
  );
}
