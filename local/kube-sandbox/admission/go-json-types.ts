/**
 * Values of the wrong JSON type, as the API server's JSON decoder (Go's encoding/json, through
 * sigs.k8s.io/json) refuses them: `json: cannot unmarshal string into Go struct field
 * DeploymentSpec.spec.replicas of type int32`. The struct is the Go type holding the field, the
 * field is its JSON path from the object's root without indexes or map keys, and the type is the
 * Go type of the field (`v1.PodSpec`, `[]v1.Container`, `map[string]string`).
 *
 * Types with their own decoding (Time, MicroTime, IntOrString, Quantity, raw JSON) are not
 * checked here.
 */
import type { Schema } from '../openapi/spec';

const OWN_DECODING: Record<string, string> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'v1.Time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'v1.MicroTime',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'intstr.IntOrString',
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'resource.Quantity',
};

const INT32 = 2 ** 31;

/** `io.k8s.api.apps.v1.DeploymentSpec` → `v1.DeploymentSpec` (the Go package is named after its version). */
export function goTypeName(definition: string): string {
  return definition.split('.').slice(-2).join('.');
}

function refOf(schema: Schema): string | undefined {
  const ref = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0].$ref : undefined);
  return ref?.slice(ref.lastIndexOf('/') + 1);
}

/** The Go type of a field with this schema. */
function goType(schema: Schema): string {
  const ref = refOf(schema);
  if (ref) return OWN_DECODING[ref] ?? goTypeName(ref);
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'integer':
      return schema.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'array':
      return `[]${schema.items ? goType(schema.items) : 'interface {}'}`;
    default:
      return typeof schema.additionalProperties === 'object'
        ? `map[string]${goType(schema.additionalProperties)}`
        : 'interface {}';
  }
}

/** The JSON kind Go's decoder names in its error. */
export function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value; // string, number, object
}

/** What JSON kind a field of this (resolved) schema takes; undefined where any is decoded. */
function expectedKind(resolved: Schema): string | undefined {
  if (resolved.properties || typeof resolved.additionalProperties === 'object') return 'object';
  switch (resolved.type) {
    case 'array':
      return 'array';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'integer':
    case 'number':
      return 'number';
  }
  return undefined;
}

/**
 * Go's error for `value` in a field of `schema` (as written, `$ref` included; `resolved` is
 * what it refers to), or undefined when the decoder takes it. Null and absent (undefined in the stored object) are always taken.
 */
export function goTypeError(
  value: unknown,
  schema: Schema,
  resolved: Schema,
  field: { struct: string; path: string },
): string | undefined {
  const ref = refOf(schema);
  if (value === null || value === undefined || (ref && OWN_DECODING[ref])) return undefined;
  const expected = expectedKind(resolved);
  if (!expected) return undefined;
  let got = jsonKind(value);
  if (got === 'number' && expected === 'number') {
    const n = value as number;
    if (resolved.type !== 'integer') return undefined;
    const fits = resolved.format === 'int64' ? Number.isSafeInteger(n) : n >= -INT32 && n < INT32;
    if (Number.isInteger(n) && fits) return undefined;
    got = `number ${n}`;
  } else if (got === expected) return undefined;
  return `json: cannot unmarshal ${got} into Go struct field ${field.struct}.${field.path} of type ${goType(schema)}`;
}
