import { ApiError, errors } from '../errors';
import { toEventsV1 } from '../event-versions';
import { apiVersionOf, type ResourceType } from '../resources';
import type { KubeObject } from '../store';
import { toTable, type IncludeObject } from '../tables';
import type { RequestContext } from './context';

/** Events are stored as core/v1 and converted for events.k8s.io/v1 requests. */
export function isEventsV1(t: ResourceType): boolean {
  return t.storageKey === 'events' && t.group === 'events.k8s.io';
}

/** An object as clients of this resource type see it (events.k8s.io/v1 Events are converted). */
export function view(t: ResourceType, obj: KubeObject): KubeObject {
  if (isEventsV1(t)) return toEventsV1(obj);
  return { ...obj, apiVersion: apiVersionOf(t), kind: t.kind };
}

/** A list item: the object without apiVersion and kind, which the list carries once. */
function listItem(t: ResourceType, obj: KubeObject): Omit<KubeObject, 'apiVersion' | 'kind'> {
  const { apiVersion: _a, kind: _k, ...rest } = isEventsV1(t) ? toEventsV1(obj) : obj;
  return rest;
}

/**
 * The JSON of stored objects as list items, one text per object version. The store freezes what
 * it stores and replaces an object on every write (store.ts), so the object is the cache key and
 * a text can never be stale; a large list then costs a join instead of a serialization.
 */
const listItemTexts = new WeakMap<KubeObject, string>();
const eventsV1ItemTexts = new WeakMap<KubeObject, string>();

export function listItemText(t: ResourceType, obj: KubeObject): string {
  const cache = isEventsV1(t) ? eventsV1ItemTexts : listItemTexts;
  let text = cache.get(obj);
  if (text === undefined) {
    text = JSON.stringify(listItem(t, obj));
    cache.set(obj, text);
  }
  return text;
}

type Conversion = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

/**
 * What a response carries, as the API server negotiates it from Accept: the objects, a Table
 * (kubectl get), or their metadata only (`as=PartialObjectMetadata[List]`: client-go's metadata
 * client, the garbage collector). `version` is the meta.k8s.io version asked for.
 */
type Shape = { as: 'Object' } | { as: Conversion; version: string };

const CONVERSIONS = new Set<string>(['Table', 'PartialObjectMetadata', 'PartialObjectMetadataList']);

/**
 * The first media type in Accept the sandbox can answer with (it speaks JSON only, so protobuf
 * and YAML are passed over); the plain object when none is, as before content negotiation.
 */
export function responseShape(ctx: RequestContext): Shape {
  for (const clause of (ctx.req.headers.accept ?? '').split(',')) {
    const [mediaType, ...rest] = clause.split(';').map((part) => part.trim());
    if (mediaType !== 'application/json' && mediaType !== 'application/*' && mediaType !== '*/*') continue;
    const params = new Map(
      rest.map((p) => {
        const eq = p.indexOf('=');
        return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const;
      }),
    );
    if (params.get('q') === '0') continue;
    const as = params.get('as');
    if (!as) return { as: 'Object' };
    const version = params.get('v') ?? '';
    if (
      CONVERSIONS.has(as) &&
      params.get('g') === 'meta.k8s.io' &&
      (version === 'v1' || version === 'v1beta1')
    ) {
      return { as: as as Conversion, version };
    }
  }
  return { as: 'Object' };
}

/** Go's name for the stored (internal) type, as the API server's 406 messages print it. */
function internalTypeName(t: ResourceType, list: boolean): string {
  const pkg = t.group && t.storageKey !== 'events' ? t.group.split('.')[0] : 'core';
  return `*${pkg}.${t.kind}${list ? 'List' : ''}`;
}

/** The 406 the API server answers when the metadata form asked for does not fit the endpoint. */
export function metadataMismatch(t: ResourceType, asked: string, list: boolean): ApiError {
  return errors.notAcceptable(
    list
      ? `you requested ${asked}, but the requested object is a list (${internalTypeName(t, true)})`
      : `you requested ${asked}, but the requested object is not a list (${internalTypeName(t, false)})`,
  );
}

export function partialObjectMetadata(obj: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function includeObject(ctx: RequestContext): IncludeObject {
  const value = ctx.url.searchParams.get('includeObject');
  if (value === 'None' || value === 'Object') return value;
  return 'Metadata';
}

export function tableOf(
  ctx: RequestContext,
  t: ResourceType,
  items: KubeObject[],
  meta: Record<string, unknown>,
): unknown {
  const table = toTable(t, items, ctx.deps.clock.now());
  const include = includeObject(ctx);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: table.columnDefinitions,
    rows: table.rows.map((row) => ({
      cells: row.cells,
      object:
        include === 'None'
          ? undefined
          : include === 'Object'
            ? view(t, row.object)
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: row.object.metadata },
    })),
  };
}
