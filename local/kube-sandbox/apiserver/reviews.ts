import type { UserInfo } from '../authorization/rbac-authorizer';
import { decodeReview } from '../authorization/review-protobuf';
import { errors } from '../errors';
import type { KubeObject } from '../store';
import type { RequestContext, ResourceRoute } from './context';
import { checkTypeMeta, readObject } from './rest';
import { sendJson } from './writers';

/** SelfSubjectAccessReview and SelfSubjectRulesReview: computed for the caller, never stored. */
export async function review(ctx: RequestContext, route: ResourceRoute, user: UserInfo): Promise<void> {
  const protobuf = (ctx.req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
  let decoded: Record<string, unknown> | undefined;
  if (protobuf) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    decoded = decodeReview(Buffer.concat(chunks));
    if (!decoded) throw errors.unsupportedMediaType(ctx.req.headers['content-type'] ?? '');
  }
  const body = decoded ? (decoded as KubeObject) : await readObject(ctx);
  checkTypeMeta(route.t, body);
  const { access } = ctx.deps;
  sendJson(
    ctx,
    201,
    route.t.kind === 'SelfSubjectAccessReview'
      ? access.accessReview(user, body)
      : access.rulesReview(user, body),
  );
}
