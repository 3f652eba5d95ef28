import { errors } from '../errors';
import { toEventsV1 } from '../event-versions';
import { apiVersionOf, type ResourceType } from '../resources';
import { parseFieldSelector, parseLabelSelector, type Predicate } from '../selectors';
import type { KubeObject } from '../store';
import { CONTINUE_EXPIRED, type RequestContext, type ResourceRoute } from './context';
import {
  isEventsV1,
  listItemText,
  metadataMismatch,
  partialObjectMetadata,
  responseShape,
  tableOf,
} from './response';
import { sendJson, sendJsonText } from './writers';

export function selectorsOf(ctx: RequestContext, t: ResourceType): Predicate {
  const labelSelector = ctx.url.searchParams.get('labelSelector') ?? undefined;
  const fieldSelector = ctx.url.searchParams.get('fieldSelector') ?? undefined;
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(t, fieldSelector);
  if (!fieldSelector?.trim()) return labels;
  // Field selectors name the fields of the version asked for (regarding.* for events.k8s.io):
  // only those requests pay for converting each stored core/v1 Event.
  const selectable = isEventsV1(t) ? (obj: KubeObject): boolean => fields(toEventsV1(obj)) : fields;
  return labelSelector?.trim() ? (obj) => labels(obj) && selectable(obj) : selectable;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString(
    'base64url',
  );
}

function decodeContinue(raw: string, oldest: number): ContinueToken {
  let parsed: { v?: string; rv?: number; start?: string };
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw errors.badRequest('continue key is not valid: illegal base64 data at input byte 0');
  }
  if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') {
    throw errors.badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
  if (parsed.rv < oldest) {
    throw errors.gone(CONTINUE_EXPIRED);
  }
  return { rv: parsed.rv, start: parsed.start };
}

/** GET of a collection: selected, paged by limit and continue, in the shape Accept asks for. */
export function list(ctx: RequestContext, route: ResourceRoute): void {
  const { t } = route;
  const { store } = ctx.deps;
  const params = ctx.url.searchParams;
  const shape = responseShape(ctx);
  if (shape.as === 'PartialObjectMetadata') throw metadataMismatch(t, shape.as, true);
  const matches = selectorsOf(ctx, t);
  const limitParam = params.get('limit');
  const limit = limitParam ? Number(limitParam) : 0;
  if (limitParam && (!Number.isInteger(limit) || limit < 0)) {
    throw errors.badRequest(`invalid limit: ${limitParam}`);
  }
  const continueParam = params.get('continue');
  const token = continueParam ? decodeContinue(continueParam, store.oldestWatchableVersion) : undefined;
  const listVersion = token?.rv ?? store.resourceVersion;
  const unfiltered = !params.get('labelSelector') && !params.get('fieldSelector');
  const items: KubeObject[] = [];
  let next: string | undefined;
  let remaining: number | undefined;
  for (const [key, obj] of store.scan(t, route.namespace, token?.start)) {
    if (!matches(obj)) continue;
    if (limit > 0 && items.length === limit) {
      next = encodeContinue({ rv: listVersion, start: key });
      if (unfiltered) remaining = store.countFrom(t, route.namespace, key);
      break;
    }
    items.push(obj);
  }
  const meta: Record<string, unknown> = { resourceVersion: String(listVersion) };
  if (next) {
    meta.continue = next;
    if (remaining !== undefined) meta.remainingItemCount = remaining;
  }
  if (shape.as === 'Table') {
    sendJson(ctx, 200, tableOf(ctx, t, items, meta));
    return;
  }
  if (shape.as === 'PartialObjectMetadataList') {
    sendJson(ctx, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${shape.version}`,
      metadata: meta,
      items: items.map((obj) => partialObjectMetadata(obj, shape.version)),
    });
    return;
  }
  const head = JSON.stringify({ kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata: meta });
  const itemTexts = items.map((obj) => listItemText(t, obj)).join(',');
  sendJsonText(ctx, 200, `${head.slice(0, -1)},"items":[${itemTexts}]}`);
}
