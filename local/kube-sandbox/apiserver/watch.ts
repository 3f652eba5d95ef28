import { errors } from '../errors';
import type { KubeObject, StoreEvent } from '../store';
import type { RequestContext, ResourceRoute } from './context';
import { selectorsOf } from './list';
import { metadataMismatch, partialObjectMetadata, responseShape, tableOf, view } from './response';

const DEFAULT_WATCH_TIMEOUT_SECONDS = 1800;

/**
 * GET with watch=true: the objects (or the changes since resourceVersion), then every change as
 * it is stored, one JSON event per line, until timeoutSeconds or the client hangs up.
 */
export function watch(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const { store } = ctx.deps;
  const { req, res, url } = ctx;
  const matches = selectorsOf(ctx, t);
  const inScope = (obj: KubeObject): boolean =>
    (!route.namespace || obj.metadata.namespace === route.namespace) &&
    (!route.name || obj.metadata.name === route.name) &&
    matches(obj);
  const rvParam = url.searchParams.get('resourceVersion');
  const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? DEFAULT_WATCH_TIMEOUT_SECONDS);
  const shape = responseShape(ctx);
  // Each event carries one object, so a watch takes the single form (as the metadata client asks).
  if (shape.as === 'PartialObjectMetadataList') throw metadataMismatch(t, shape.as, false);

  ctx.entry.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  // Headers go out now, as the API server's do: client-go blocks on them, and a reflector
  // being stopped (kubectl rollout status, once done) waits for its watch request to return.
  res.flushHeaders();
  const send = (type: string, obj: unknown): void => {
    res.write(`${JSON.stringify({ type, object: obj })}\n`);
  };
  const sendObject = (type: string, obj: KubeObject): void => {
    if (shape.as === 'Table')
      send(type, tableOf(ctx, t, [obj], { resourceVersion: obj.metadata.resourceVersion }));
    else if (shape.as === 'PartialObjectMetadata') send(type, partialObjectMetadata(obj, shape.version));
    else send(type, view(t, obj));
  };

  const pending: StoreEvent[] = [];
  let replaying = true;
  const unsubscribe = store.subscribe((event) => {
    if (event.storageKey !== t.storageKey) return;
    if (replaying) pending.push(event);
    else if (inScope(event.object)) sendObject(event.type, event.object);
  });

  if (!rvParam || rvParam === '0') {
    for (const obj of store.list(t, route.namespace)) if (inScope(obj)) sendObject('ADDED', obj);
  } else {
    const since = store.changesSince(Number(rvParam));
    if (since === undefined || Number.isNaN(Number(rvParam))) {
      const gone = errors.gone(`too old resource version: ${rvParam} (${store.oldestWatchableVersion})`);
      send('ERROR', gone.toStatus());
      unsubscribe();
      res.end();
      return Promise.resolve();
    }
    for (const event of since)
      if (event.storageKey === t.storageKey && inScope(event.object)) sendObject(event.type, event.object);
  }
  replaying = false;
  for (const event of pending.splice(0)) if (inScope(event.object)) sendObject(event.type, event.object);

  return new Promise<void>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
      if (!res.writableEnded) res.end();
      resolve();
    };
    const timer = setTimeout(finish, timeoutSeconds * 1000);
    timer.unref();
    req.on('close', finish);
  });
}
