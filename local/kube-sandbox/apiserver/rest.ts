import { ApiError, errors } from '../errors';
import { fromEventsV1 } from '../event-versions';
import { apiVersionOf, type ResourceType } from '../resources';
import type { KubeObject } from '../store';
import { MAX_BODY_BYTES, type RequestContext } from './context';

// Request bodies as the handlers of every verb decode them.

export async function readBody(ctx: RequestContext): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw errors.requestEntityTooLarge(MAX_BODY_BYTES);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readObject(ctx: RequestContext): Promise<KubeObject> {
  const contentType = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0].trim();
  if (contentType !== 'application/json' && contentType !== '*/*') {
    // A real API server also decodes protobuf, which kubectl's generator commands
    // (`kubectl create namespace|configmap|...`) send; the sandbox speaks JSON only.
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the sandbox accepts JSON request bodies only (received ${contentType}); send application/json, e.g. \`kubectl create -f FILE\` or \`kubectl apply -f FILE\` instead of \`kubectl create <kind> ...\``,
    );
  }
  const body = await readBody(ctx);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw errors.badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw errors.badRequest('the body of the request must be a JSON object');
  }
  const obj = parsed as KubeObject;
  obj.metadata = obj.metadata ?? {};
  return obj;
}

/** Checks the body's apiVersion/kind against the URL, as the API server's decoder does. */
export function checkTypeMeta(
  t: ResourceType,
  obj: KubeObject,
  expectKind = t.kind,
  expectVersion = apiVersionOf(t),
): void {
  if (obj.apiVersion !== undefined && obj.apiVersion !== expectVersion) {
    throw errors.badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectVersion})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== expectKind) {
    throw errors.badRequest(
      `the kind in the data (${obj.kind}) does not match the expected kind (${expectKind})`,
    );
  }
}

/** Back to the stored (core/v1) shape when the request came in as events.k8s.io/v1. */
export function toStorage(t: ResourceType, obj: KubeObject): KubeObject {
  if (t.storageKey === 'events' && t.group === 'events.k8s.io') return fromEventsV1(obj);
  return { ...obj, apiVersion: apiVersionOf(t), kind: t.kind };
}
