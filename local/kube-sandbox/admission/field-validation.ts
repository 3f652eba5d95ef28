/**
 * Unknown fields, as the API server's decoder treats them under the `fieldValidation` query
 * parameter: Strict refuses the request (400 BadRequest, `strict decoding error: unknown field
 * "spec.foo"`), Warn drops each unknown field with a `Warning` header, Ignore drops them
 * silently. Without the parameter the server warns (the default since 1.23), as a real one.
 *
 * The same walk refuses timestamps their decoder would not parse (400 with Go's time.Parse
 * error): Times that are not RFC 3339 (`creationTimestamp`, `lastTransitionTime`...), and
 * MicroTimes (Lease renewTime/acquireTime, Event eventTime) without exactly six fractional
 * digits.
 *
 * Which fields a type knows comes from the OpenAPI source (openapi/spec.ts: built from
 * client-node's models, or the upstream document SANDBOX_OPENAPI_SPEC names), not from lists
 * kept here: a property is known when the type's schema names it; maps
 * (`additionalProperties`) and `x-kubernetes-preserve-unknown-fields` accept anything.
 */
import { errors } from '../errors';
import { goTypeError, jsonKind } from './go-json-types';
import { goTimeParseError, type GoTimeLayout } from './go-time';
import { MICRO_TIME, TIME } from '../openapi/client-node-models';
import { definitionNameOf, refName, upstreamSwagger, type Schema } from '../openapi/spec';
import type { ResourceType } from '../resources';
import type { KubeObject } from '../store';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

const DIRECTIVES: readonly FieldValidation[] = ['Ignore', 'Strict', 'Warn'];

/** The directive of a request; 422 on the options kind for a value the server does not know. */
export function fieldValidationOf(
  value: string | null,
  optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions',
): FieldValidation {
  if (!value) return 'Warn';
  if ((DIRECTIVES as readonly string[]).includes(value)) return value as FieldValidation;
  throw errors.invalid(optionsKind, 'meta.k8s.io', '', [
    {
      field: 'fieldValidation',
      message: `Unsupported value: "${value}": supported values: ${DIRECTIVES.map((d) => `"${d}"`).join(', ')}`,
      reason: 'FieldValueNotSupported',
    },
  ]);
}

function resolve(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current.$ref) current = upstreamSwagger().definitions[refName(current.$ref)];
    else if (current.allOf?.length === 1) current = current.allOf[0];
    else return current;
  }
  return current;
}

/** The timestamp types and the layout their decoder parses with. */
const TIME_LAYOUTS: Record<string, GoTimeLayout> = {
  [TIME]: 'RFC3339',
  [MICRO_TIME]: 'RFC3339Micro',
};

interface Findings {
  unknown: string[];
  badTimes: string[];
  badTypes: string[];
}

/** Where a value sits as Go's JSON decoder names it: the struct holding the field, and the field's path without indexes or map keys. */
interface GoField {
  struct: string;
  path: string;
}

/**
 * Removes the fields `schema` does not know from `value`, noting their paths (`spec.foo`,
 * `spec.containers[0].bar`), and notes timestamps Go would not parse and values of the wrong
 * JSON type.
 */
function walk(value: unknown, schema: Schema | undefined, path: string, found: Findings, go: GoField): void {
  const layout = schema?.$ref ? TIME_LAYOUTS[refName(schema.$ref)] : undefined;
  if (layout) {
    // Time's UnmarshalJSON decodes a string with encoding/json first; its error is not the
    // type the API server's decoder (a fork of it) adds the field's place to.
    const error =
      typeof value === 'string'
        ? goTimeParseError(layout, value)
        : value !== null
          ? `json: cannot unmarshal ${jsonKind(value)} into Go value of type string`
          : undefined;
    if (error) found.badTimes.push(error);
    return;
  }
  const s = resolve(schema);
  if (!s || value === null) return;
  const typeError = schema && go.path ? goTypeError(value, schema, s, go) : undefined;
  if (typeError) {
    found.badTypes.push(typeError);
    return;
  }
  if (typeof value !== 'object') return;
  if (s['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => walk(item, s.items, `${path}[${i}]`, found, go));
    return;
  }
  const record = value as Record<string, unknown>;
  if (s.properties) {
    // Go names the struct holding a field by its type name alone (`DeploymentSpec`).
    const struct = schema?.$ref ? refName(schema.$ref).split('.').pop()! : go.struct;
    for (const key of Object.keys(record)) {
      const field = path ? `${path}.${key}` : key;
      const property = s.properties[key];
      if (property)
        walk(record[key], property, field, found, { struct, path: go.path ? `${go.path}.${key}` : key });
      else {
        found.unknown.push(field);
        delete record[key];
      }
    }
    return;
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    for (const [key, child] of Object.entries(record)) {
      walk(child, s.additionalProperties, path ? `${path}.${key}` : key, found, go);
    }
  }
}

/**
 * Applies the directive to an object of type `t` as decoded from a request body: unknown
 * fields are dropped from `obj` (Warn, Ignore) or refused (Strict). Returns the warnings to send.
 * `patch` words the refusal as the patch handler does (without the decoder's type prefix).
 */
export function validateFields(
  t: ResourceType,
  obj: KubeObject,
  directive: FieldValidation,
  patch = false,
): string[] {
  const definition = definitionNameOf(t);
  if (!definition) return [];
  const found: Findings = { unknown: [], badTimes: [], badTypes: [] };
  walk(obj, { $ref: `#/definitions/${definition}` }, '', found, { struct: t.kind, path: '' });
  const decoding = `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}`;
  // Go's decoder stops at a timestamp its UnmarshalJSON refuses; a value of the wrong type is
  // kept (the first one) and reported once the document is read; unknown fields come last.
  const decodeError = found.badTimes[0] ?? found.badTypes[0];
  if (decodeError) throw errors.badRequest(`${decoding}: ${decodeError}`);
  const { unknown } = found;
  if (unknown.length === 0 || directive === 'Ignore') return [];
  const each = unknown.map((field) => `unknown field "${field}"`);
  if (directive === 'Warn') return each;
  const strict = `strict decoding error: ${each.join(', ')}`;
  throw errors.badRequest(patch ? strict : `${decoding}: ${strict}`);
}

/** A `Warning` header value as the API server writes one (RFC 7234 code 299, agent `-`). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
