import { applyPatchByType } from '../patch';
import type { RequestContext, ResourceRoute } from './context';
import { readBody } from './rest';
import { writeObject } from './update';

/** PATCH: the body (json, merge, strategic merge or apply patch) applied to the object as shown. */
export function patch(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  return writeObject(ctx, route, 'patch', async (original) => patched(ctx, original, await readBody(ctx)));
}

function patched(ctx: RequestContext, original: object, body: string): object {
  return applyPatchByType(ctx.req.headers['content-type'] ?? '', original, body);
}
