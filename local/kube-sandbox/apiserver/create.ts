import { admit } from '../admission';
import { fieldValidationOf, validateFields } from '../admission/field-validation';
import { errors } from '../errors';
import { resolveGeneratedName } from '../store';
import type { RequestContext, ResourceRoute } from './context';
import { view } from './response';
import { checkTypeMeta, readObject, toStorage } from './rest';
import { sendJson } from './writers';

/** POST of a collection: a new object, named (or generateName'd) by the request, admitted, stored. */
export async function create(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const input = await readObject(ctx);
  checkTypeMeta(t, input);
  const directive = fieldValidationOf(ctx.url.searchParams.get('fieldValidation'), 'CreateOptions');
  ctx.warnings.push(...validateFields(t, input, directive));
  if (t.namespaced) {
    if (input.metadata.namespace && input.metadata.namespace !== route.namespace) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (!route.namespace) throw errors.notFoundPath();
    input.metadata.namespace = route.namespace;
  }
  if (!input.metadata.name && !input.metadata.generateName) {
    throw errors.invalid(t.kind, t.group, '', [
      {
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
        reason: 'FieldValueRequired',
      },
    ]);
  }
  const obj = toStorage(t, input);
  // The API server owns identity and history: what a client sends for them is dropped.
  delete obj.metadata.uid;
  delete obj.metadata.creationTimestamp;
  delete obj.metadata.deletionTimestamp;
  delete obj.metadata.generation;
  resolveGeneratedName(obj);
  admit(t, obj);
  ctx.entry.name = obj.metadata.name ?? obj.metadata.generateName;
  if (ctx.entry.dryRun) {
    sendJson(ctx, 201, view(t, { ...obj, metadata: { ...obj.metadata, uid: 'dry-run' } }));
    return;
  }
  const created = ctx.deps.store.create(t, obj);
  sendJson(ctx, 201, view(t, created));
}
