/**
 * The OpenAPI source of the sandbox, and what it derives from it: the `/openapi/v2` and
 * `/openapi/v3` documents of the served types, and the schema of each type for field
 * validation.
 *
 * By default the source is built at first use from the models of @kubernetes/client-node
 * (client-node-spec.ts), which the project installs: its models are generated from Kubernetes'
 * published spec and keep each field's name, type, format and description. No installable
 * package ships the spec itself as data (kubernetes-models ships compiled validators,
 * kubernetes-client stops at 1.13), and the project does not vendor it. An operator who has
 * Kubernetes' published `api/openapi-spec/swagger.json` of their release (plain or gzipped) can
 * name it in the environment variable `SANDBOX_OPENAPI_SPEC`; it then replaces the built one,
 * with the descriptions, enums and patch strategies client-node does not keep.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { RESOURCE_TYPES, type ResourceType } from '../resources';
import { clientNodeSwagger } from './client-node-spec';
import { swaggerProtobuf } from './v2-protobuf';

/** The operator's copy of the upstream document, if any (it replaces the one built from client-node). */
export const UPSTREAM_FILE: string | undefined = process.env.SANDBOX_OPENAPI_SPEC || undefined;

/** A JSON schema as the swagger document writes it (only the parts the sandbox reads are typed). */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  allOf?: Schema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-group-version-kind'?: Array<{ group: string; version: string; kind: string }>;
  [extension: string]: unknown;
}

export interface Parameter {
  $ref?: string;
  name: string;
  in: string;
  description?: string;
  required?: boolean;
  type?: string;
  uniqueItems?: boolean;
  schema?: Schema;
}

export type Operation = Record<string, unknown> & {
  parameters?: Parameter[];
  responses?: Record<string, { description?: string; schema?: Schema }>;
};
export type PathItem = Record<string, Operation | Parameter[] | undefined> & { parameters?: Parameter[] };

export interface SwaggerDocument {
  swagger: string;
  info: Record<string, unknown>;
  paths: Record<string, PathItem>;
  definitions: Record<string, Schema>;
  parameters: Record<string, Parameter>;
  [key: string]: unknown;
}

export class OpenApiSourceError extends Error {
  constructor(detail: string) {
    super(`the Kubernetes OpenAPI document SANDBOX_OPENAPI_SPEC=${UPSTREAM_FILE} ${detail}`);
    this.name = 'OpenApiSourceError';
  }
}

let upstream: SwaggerDocument | undefined;

/** The source document, read or built once: the operator's, else the one built from client-node. */
export function upstreamSwagger(): SwaggerDocument {
  if (upstream) return upstream;
  if (!UPSTREAM_FILE) {
    upstream = clientNodeSwagger(RESOURCE_TYPES);
    return upstream;
  }
  let raw: Buffer;
  try {
    raw = readFileSync(UPSTREAM_FILE);
  } catch (error) {
    throw new OpenApiSourceError(`cannot be read: ${(error as Error).message}`);
  }
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  const doc = JSON.parse(raw.toString('utf8')) as SwaggerDocument;
  if (!doc.definitions || !doc.paths) throw new OpenApiSourceError('is not a Swagger 2.0 document');
  upstream = doc;
  return upstream;
}

const DEFINITION_REF = '#/definitions/';

/** The definition name a `$ref` points at. */
export function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** The definition of a served type: the one whose x-kubernetes-group-version-kind names it. */
export function definitionNameOf(t: ResourceType): string | undefined {
  const gvk = `${t.group}/${t.version}/${t.kind}`;
  if (!definitionsByGvk) {
    definitionsByGvk = new Map();
    for (const [name, schema] of Object.entries(upstreamSwagger().definitions)) {
      for (const g of schema['x-kubernetes-group-version-kind'] ?? []) {
        definitionsByGvk.set(`${g.group}/${g.version}/${g.kind}`, name);
      }
    }
  }
  return definitionsByGvk.get(gvk);
}

let definitionsByGvk: Map<string, string> | undefined;

/** The URL prefix of a group/version: `/api/v1` or `/apis/apps/v1`. */
function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** Whether the sandbox serves an upstream path: a served resource, or one of its served subresources. */
function isServedPath(path: string, types: ResourceType[]): boolean {
  for (const t of types) {
    const prefix = `${groupVersionPath(t.group, t.version)}/`;
    if (!path.startsWith(prefix)) continue;
    let segments = path.slice(prefix.length).split('/');
    if (segments[0] === 'watch') continue;
    if (segments[0] === 'namespaces' && segments[1] === '{namespace}' && segments.length > 2) {
      segments = segments.slice(2);
    }
    if (segments[0] !== t.plural || segments.length > 3) continue;
    if (segments.length < 3 || (t.subresources ?? []).includes(segments[2] as 'status')) return true;
  }
  return false;
}

/** Every definition a value refers to, transitively, added to `into`. */
function collectRefs(value: unknown, definitions: Record<string, Schema>, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, definitions, into);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith(DEFINITION_REF)) {
      const name = refName(child);
      if (!into.has(name) && definitions[name]) {
        into.add(name);
        collectRefs(definitions[name], definitions, into);
      }
    } else collectRefs(child, definitions, into);
  }
}

function pick<T>(record: Record<string, T>, keys: Iterable<string>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of [...keys].sort()) out[key] = record[key];
  return out;
}

let v2: { doc: SwaggerDocument; json: string; protobuf?: Buffer } | undefined;

/** The v2 document: the source restricted to the served paths and what they refer to. */
function servedV2(): { doc: SwaggerDocument; json: string; protobuf?: Buffer } {
  if (v2) return v2;
  const doc = upstreamSwagger();
  const paths = Object.keys(doc.paths).filter((p) => isServedPath(p, RESOURCE_TYPES));
  const served = pick(doc.paths, paths);
  const definitions = new Set<string>();
  collectRefs(served, doc.definitions, definitions);
  collectRefs(doc.parameters, doc.definitions, definitions);
  const restricted = { ...doc, paths: served, definitions: pick(doc.definitions, definitions) };
  v2 = { doc: restricted, json: JSON.stringify(restricted) };
  return v2;
}

/** `/openapi/v2` in JSON. */
export function openApiV2Json(): string {
  return servedV2().json;
}

/** `/openapi/v2` as gnostic's protobuf message, the form client-go asks for. */
export function openApiV2Protobuf(): Buffer {
  const served = servedV2();
  served.protobuf ??= swaggerProtobuf(served.doc);
  return served.protobuf;
}

/** A v2 schema as OpenAPI v3 writes it: references point into components. */
function toV3Schema<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll(`"${DEFINITION_REF}`, '"#/components/schemas/')) as T;
}

function toV3Parameter(p: Parameter, doc: SwaggerDocument): Record<string, unknown> {
  const param = p.$ref ? doc.parameters[refName(p.$ref)] : p;
  const { type, uniqueItems, schema, ...rest } = param;
  return {
    ...rest,
    schema: schema ? toV3Schema(schema) : { type, ...(uniqueItems ? { uniqueItems } : {}) },
  };
}

/** One v2 operation in v3 form: the body parameter becomes requestBody, schemas move under content. */
function toV3Operation(op: Operation, doc: SwaggerDocument): Record<string, unknown> {
  const { parameters = [], responses = {}, consumes, produces: _produces, schemes: _schemes, ...rest } = op;
  const body = parameters
    .map((p) => (p.$ref ? doc.parameters[refName(p.$ref)] : p))
    .find((p) => p.in === 'body');
  const mediaTypes = (consumes as string[] | undefined) ?? ['*/*'];
  return {
    ...rest,
    ...(parameters.some((p) => (p.$ref ? doc.parameters[refName(p.$ref)] : p).in !== 'body')
      ? {
          parameters: parameters
            .filter((p) => (p.$ref ? doc.parameters[refName(p.$ref)] : p).in !== 'body')
            .map((p) => toV3Parameter(p, doc)),
        }
      : {}),
    ...(body
      ? {
          requestBody: {
            content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: toV3Schema(body.schema) }])),
            required: body.required ?? false,
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(responses).map(([code, r]) => [
        code,
        {
          description: r.description ?? '',
          ...(r.schema ? { content: { 'application/json': { schema: toV3Schema(r.schema) } } } : {}),
        },
      ]),
    ),
  };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/** The served group/versions, as `/openapi/v3` names them: `api/v1`, `apis/apps/v1`. */
export function openApiV3GroupVersions(): string[] {
  const names = new Set(RESOURCE_TYPES.map((t) => groupVersionPath(t.group, t.version).slice(1)));
  return [...names].sort();
}

const v3Documents = new Map<string, { json: string; hash: string }>();

/** `/openapi/v3/<group-version>`: the paths and schemas of one served group/version. */
export function openApiV3Document(groupVersion: string): { json: string; hash: string } | undefined {
  const cached = v3Documents.get(groupVersion);
  if (cached) return cached;
  const types = RESOURCE_TYPES.filter((t) => groupVersionPath(t.group, t.version).slice(1) === groupVersion);
  const doc = upstreamSwagger();
  if (types.length === 0) return undefined;
  const paths = Object.keys(doc.paths)
    .filter((p) => isServedPath(p, types))
    .sort();
  const v3Paths: Record<string, Record<string, unknown>> = {};
  for (const path of paths) {
    const item = doc.paths[path];
    const converted: Record<string, unknown> = {};
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (op) converted[method] = toV3Operation(op, doc);
    }
    if (item.parameters) converted.parameters = item.parameters.map((p) => toV3Parameter(p, doc));
    v3Paths[path] = converted;
  }
  const schemas = new Set<string>();
  collectRefs(pick(doc.paths, paths), doc.definitions, schemas);
  collectRefs(
    paths.flatMap((p) => Object.values(doc.paths[p])),
    doc.definitions,
    schemas,
  );
  for (const t of types) {
    const name = definitionNameOf(t);
    if (name) schemas.add(name);
  }
  collectRefs(pick(doc.definitions, schemas), doc.definitions, schemas);
  const referencedParams = paths.flatMap((p) =>
    Object.values(doc.paths[p]).flatMap((op) => {
      const params = Array.isArray(op) ? op : ((op as Operation | undefined)?.parameters ?? []);
      return params.filter((x) => x.$ref).map((x) => doc.parameters[refName(x.$ref!)]);
    }),
  );
  collectRefs(referencedParams, doc.definitions, schemas);
  const json = JSON.stringify({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: v3Paths,
    components: {
      schemas: toV3Schema(pick(doc.definitions, schemas)),
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
  });
  const entry = { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
  v3Documents.set(groupVersion, entry);
  return entry;
}

/** `/openapi/v3`: where each group/version's document is, with its hash for client caches. */
export function openApiV3Index(): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of openApiV3GroupVersions()) {
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${openApiV3Document(gv)!.hash}` };
  }
  return { paths };
}
