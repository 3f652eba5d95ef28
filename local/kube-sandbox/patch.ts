import { applyPatch, type Operation } from 'fast-json-patch';
import { apply as applyMergePatch } from 'json-merge-patch';
import { ApiError, errors } from './errors';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * The patch merge keys of the built-in types (`x-kubernetes-patch-merge-key` in the OpenAPI
 * schema), by the field's name and, where one name has two meanings, its parent's.
 * Lists not named here are replaced whole, as their patch strategy is "replace".
 */
function mergeKeyFor(path: string[]): string | undefined {
  const field = path[path.length - 1];
  const parent = path[path.length - 2];
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'env':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'ports':
      return parent === 'spec' ? 'port' : 'containerPort';
    case 'conditions':
      return 'type';
    case 'ownerReferences':
      return 'uid';
    case 'hostAliases':
      return 'ip';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    case 'addresses':
      return parent === 'status' ? 'type' : undefined;
    default:
      return undefined;
  }
}

/** Primitive lists whose strategy is "merge" (union), not replace. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeList(original: Json[], patch: Json[], path: string[]): Json[] {
  const field = path[path.length - 1];
  const key = mergeKeyFor(path);
  if (!key) {
    if (MERGED_PRIMITIVE_LISTS.has(field))
      return [...original, ...patch.filter((v) => !original.includes(v))];
    return patch;
  }
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace'));
  }
  const result = [...original];
  for (const item of patch) {
    if (!isObject(item))
      throw errors.badRequest(`the patch list ${path.join('.')} must contain objects keyed by ${key}`);
    if (!(key in item)) {
      throw errors.badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    }
    const index = result.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = mergeObject(result[index] as JsonObject, item, path);
    else result.push(mergeObject({}, item, path));
  }
  return result;
}

function mergeObject(original: JsonObject, patch: JsonObject, path: string[]): JsonObject {
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return rest;
  }
  const result: JsonObject = { ...original };
  const retainKeys = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value))
        result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    const childPath = [...path, key];
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      if (value.$patch === 'delete') delete result[key];
      else
        result[key] = mergeObject(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, childPath);
    } else if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as Json[]) : [], value, childPath);
    } else {
      result[key] = value;
    }
  }
  if (retainKeys) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  }
  return result;
}

/** Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) for built-in types. */
export function strategicMerge(original: object, patch: unknown): object {
  if (!isObject(patch)) throw errors.badRequest('the strategic merge patch must be a JSON object');
  return mergeObject(original as JsonObject, patch, []);
}

/**
 * Applies a patch body by its Content-Type, with the API server's answers for bad input:
 * 400 for a body that does not parse, 415 for an unknown patch type, 422 for a JSON patch
 * that does not apply to the object.
 */
export function applyPatchByType(contentType: string, original: object, body: string): object {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === PATCH_TYPES.apply) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'server-side apply (application/apply-patch+yaml) is not implemented by the sandbox; use a strategic merge, JSON merge or JSON patch',
    );
  }
  if (type !== PATCH_TYPES.json && type !== PATCH_TYPES.merge && type !== PATCH_TYPES.strategic) {
    throw errors.unsupportedMediaType(type || '(none)');
  }
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (error) {
    throw errors.badRequest(`error decoding patch: ${(error as Error).message}`);
  }
  if (type === PATCH_TYPES.merge) {
    if (!isObject(patch)) throw errors.badRequest('the JSON merge patch must be a JSON object');
    return applyMergePatch(structuredClone(original), patch) as object;
  }
  if (type === PATCH_TYPES.strategic) return strategicMerge(structuredClone(original), patch);
  if (!Array.isArray(patch)) {
    throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  try {
    return applyPatch(structuredClone(original), patch as Operation[], true, false).newDocument;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new ApiError(
      422,
      'Invalid',
      `the server rejected our request due to an error in our request: ${message}`,
    );
  }
}
