/**
 * The schemas of the served types as @kubernetes/client-node ships them: the package's models
 * are generated from Kubernetes' published OpenAPI spec, and keep, per model, the JSON name,
 * type and format of every field (`static attributeTypeMap` in `dist/gen/models/<Model>.js`)
 * and, in the declaration next to it (`<Model>.d.ts`), the upstream description of the model
 * and of each field and which fields are required (not optional).
 *
 * From those this module rebuilds the upstream definitions (`io.k8s.api.apps.v1.Deployment`...)
 * of every model a served kind reaches. What the generated code does not keep is not invented:
 * enums, defaults, `x-kubernetes-patch-*`/`list-*` extensions and the descriptions of fields
 * that refer to another model (the referred model's own description stands in, as in
 * client-node's own documentation). One thing it loses is restored from a table: which fields
 * are Quantities (client-node types them as strings).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ResourceType } from '../resources';
import type { Schema } from './spec';

/** One entry of a model's `attributeTypeMap`. */
interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

export class ClientNodeModelError extends Error {
  constructor(model: string, detail: string) {
    super(`@kubernetes/client-node model ${model}: ${detail}`);
    this.name = 'ClientNodeModelError';
  }
}

const META_PACKAGE = 'io.k8s.apimachinery.pkg.apis.meta';
const META = `${META_PACKAGE}.v1`;

/** apimachinery's types, which client-node names like the API types of v1 (`V1ObjectMeta`). */
const APIMACHINERY_MODELS = new Set([
  'V1APIGroup',
  'V1APIGroupList',
  'V1APIResource',
  'V1APIResourceList',
  'V1APIVersions',
  'V1Condition',
  'V1DeleteOptions',
  'V1GroupVersionForDiscovery',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1ListMeta',
  'V1ManagedFieldsEntry',
  'V1ObjectMeta',
  'V1OwnerReference',
  'V1Preconditions',
  'V1ServerAddressByClientCIDR',
  'V1Status',
  'V1StatusCause',
  'V1StatusDetails',
  'V1WatchEvent',
]);

/** The apimachinery scalars client-node types as `Date`, `V1MicroTime` and `IntOrString`. */
export const TIME = `${META}.Time`;
export const MICRO_TIME = `${META}.MicroTime`;
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/**
 * The Quantity fields of the served types. client-node types quantities as plain strings, so
 * they are named here, as upstream types them: a Quantity takes a number as well as a string
 * (`cpu: 1`), which a string field would refuse.
 */
const QUANTITY_FIELDS: Record<string, string[]> = {
  V1ContainerStatus: ['allocatedResources'],
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1NodeStatus: ['allocatable', 'capacity'],
  V1PersistentVolumeClaimStatus: ['allocatedResources', 'capacity'],
  V1PersistentVolumeSpec: ['capacity'],
  V1PodSpec: ['overhead'],
  V1ResourceFieldSelector: ['divisor'],
  V1ResourceRequirements: ['limits', 'requests'],
  V1VolumeResourceRequirements: ['limits', 'requests'],
};

const SCALARS: Record<string, Schema> = {
  [TIME]: {
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON: RFC 3339 in UTC, to the second.',
    type: 'string',
    format: 'date-time',
  },
  [MICRO_TIME]: {
    description: 'MicroTime is version of Time with microsecond level precision.',
    type: 'string',
    format: 'date-time',
  },
  [QUANTITY]: {
    description:
      "Quantity is a fixed-point representation of a number: a string such as '500m', '1Gi' or '1.5', or a plain number in JSON.",
    type: 'string',
  },
  [INT_OR_STRING]: {
    description:
      'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.',
    type: 'string',
    format: 'int-or-string',
  },
};

/** `V1`, `V1beta1`, `V2` and the kind after it; client-node prefixes the group where two groups share a kind (`CoreV1Event`). */
const MODEL_NAME = /^([A-Z][a-z]+)?(V\d+(?:(?:alpha|beta)\d+)?)([A-Z]\w*)$/;

const packageRequire = createRequire(__filename);

function packageDirectory(): string {
  return dirname(packageRequire.resolve('@kubernetes/client-node/package.json'));
}

function modelsDirectory(): string {
  return join(packageDirectory(), 'dist', 'gen', 'models');
}

/** The Go package of an API group as definition names spell it: `apps`, `core`, `rbac`. */
function apiPackage(group: string): string {
  return `io.k8s.api.${group ? group.split('.')[0] : 'core'}`;
}

interface ModelDocs {
  description?: string;
  fields: Map<string, { description?: string; optional: boolean }>;
}

/** A description as the generator wrote it into a JSDoc line, with its JS string escapes undone. */
function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1').trim();
}

/** The model's and each field's description, and which fields are optional, from `<Model>.d.ts`. */
function readDocs(model: string): ModelDocs {
  const source = readFileSync(join(modelsDirectory(), `${model}.d.ts`), 'utf8');
  const docs: ModelDocs = { fields: new Map() };
  const classAt = source.indexOf('export declare class');
  const comment = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(source.slice(0, classAt));
  const text = (block: string): string =>
    unescape(
      block
        .split('\n')
        .map((line) => line.replace(/^\s*\*\s?/, ''))
        .join(' '),
    );
  if (comment) docs.description = text(comment[1]);
  const body = source.slice(classAt);
  const field = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?'([^']+)'(\?)?:/g;
  for (const m of body.matchAll(field)) {
    docs.fields.set(m[2], { description: m[1] ? text(m[1]) : undefined, optional: m[3] === '?' });
  }
  return docs;
}

/**
 * The model's fields: the generated class's own `attributeTypeMap`, a JSON array literal in
 * `<Model>.js`. It is read as text, not imported: importing each model module costs ~15 ms
 * (they are ES modules), and a served kind reaches hundreds.
 */
function readAttributes(model: string): Attribute[] {
  const source = readFileSync(join(modelsDirectory(), `${model}.js`), 'utf8');
  const marker = `${model}.attributeTypeMap = `;
  const start = source.indexOf(marker);
  const end = source.indexOf('];', start);
  if (start < 0 || end < 0) throw new ClientNodeModelError(model, 'has no attributeTypeMap');
  try {
    return JSON.parse(source.slice(start + marker.length, end + 1)) as Attribute[];
  } catch (error) {
    throw new ClientNodeModelError(model, `attributeTypeMap is not JSON: ${(error as Error).message}`);
  }
}

function modelExists(model: string): boolean {
  return existsSync(join(modelsDirectory(), `${model}.d.ts`));
}

/** The models `CoreV1Api` sends and receives: the core types other groups embed (PodTemplateSpec, ObjectReference) are theirs. */
function coreKindModels(): string[] {
  const source = readFileSync(join(packageDirectory(), 'dist', 'gen', 'apis', 'CoreV1Api.js'), 'utf8');
  const models = /ObjectSerializer\.(?:de)?serialize\([^,()]+, "(\w+)"/g;
  return [...new Set([...source.matchAll(models)].map((m) => m[1]))];
}

/** The model a kind of a group/version is: `EventsV1Event` where groups share the kind, else `V1Deployment`. */
function modelOf(group: string, version: string, kind: string): string | undefined {
  const v = version[0].toUpperCase() + version.slice(1);
  const prefix = group ? group[0].toUpperCase() + group.split('.')[0].slice(1) : 'Core';
  return [`${prefix}${v}${kind}`, `${v}${kind}`].find(modelExists);
}

/** A model the document defines: a served kind (with its group/version/kind), or a type requests use. */
export interface RootModel {
  model: string;
  group: string;
  version: string;
  /** Set for kinds: the definition then carries x-kubernetes-group-version-kind. */
  kind?: string;
}

/** The definitions built from client-node, by upstream definition name. */
export interface ModelDefinitions {
  definitions: Record<string, Schema>;
  /** The definition name of a model (`V1PodSpec` → `io.k8s.api.core.v1.PodSpec`). */
  definitionOf: (model: string) => string;
}

/**
 * Every definition the root models reach. Each model is named after the Go package it lives
 * in: apimachinery's by the table above, one with a group prefix by that group, one any core
 * kind reaches by core, any other by the group of the first root that reaches it.
 */
export function buildDefinitions(roots: RootModel[]): ModelDefinitions {
  const attributes = new Map<string, Attribute[]>();
  const attributesOf = (model: string): Attribute[] => {
    let found = attributes.get(model);
    if (!found) attributes.set(model, (found = readAttributes(model)));
    return found;
  };
  const owners = new Map<string, string>();
  const claim = (model: string, pkg: string): void => {
    const queue = [model];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (owners.has(next)) continue;
      owners.set(next, pkg);
      for (const a of attributesOf(next)) queue.push(...referencedModels(a.type));
    }
  };
  // apimachinery's types first: what only they refer to (ListMeta's ShardInfo) is apimachinery's too.
  for (const model of APIMACHINERY_MODELS) claim(model, META_PACKAGE);
  // Then core kinds: the core types other groups embed (PodTemplateSpec, ObjectReference) are core's.
  for (const model of coreKindModels()) if (MODEL_NAME.test(model)) claim(model, apiPackage(''));
  for (const r of roots) claim(r.model, apiPackage(r.group));

  const definitionOf = (model: string): string => {
    const m = MODEL_NAME.exec(model);
    if (!m) throw new ClientNodeModelError(model, 'is not named <Version><Kind>');
    const [, groupPrefix, version, kind] = m;
    const pkg = groupPrefix ? `io.k8s.api.${groupPrefix.toLowerCase()}` : owners.get(model);
    if (!pkg) throw new ClientNodeModelError(model, 'is reached by no served kind');
    return `${pkg}.${version.toLowerCase()}.${kind}`;
  };

  const definitions: Record<string, Schema> = {};
  const docsOf = new Map<string, ModelDocs>();
  const docs = (model: string): ModelDocs => {
    let found = docsOf.get(model);
    if (!found) docsOf.set(model, (found = readDocs(model)));
    return found;
  };
  const schemaOf = (model: string, type: string, format: string, used: Set<string>): Schema => {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: schemaOf(model, array[1], format, used) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: schemaOf(model, map[1], format, used) };
    const scalar = (name: string): Schema => {
      used.add(name);
      return { $ref: `#/definitions/${name}` };
    };
    switch (type) {
      case 'string':
        return format ? { type: 'string', format } : { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'number':
        return format === 'int32' || format === 'int64'
          ? { type: 'integer', format }
          : { type: 'number', ...(format ? { format } : {}) };
      case 'Date':
        return scalar(TIME);
      case 'V1MicroTime':
        return scalar(MICRO_TIME);
      case 'IntOrString':
        return scalar(INT_OR_STRING);
      case 'any':
        // RawExtension and FieldsV1: any JSON object.
        return { type: 'object' };
    }
    if (MODEL_NAME.test(type) && modelExists(type)) {
      used.add(type);
      return { $ref: `#/definitions/${definitionOf(type)}` };
    }
    throw new ClientNodeModelError(model, `has a field of type ${type} this sandbox cannot describe`);
  };

  /** A Quantity field: one quantity (client-node's `string`) or a map of them. */
  const quantityField = (type: string, used: Set<string>): Schema => {
    used.add(QUANTITY);
    const ref = { $ref: `#/definitions/${QUANTITY}` };
    return type === 'string' ? ref : { type: 'object', additionalProperties: ref };
  };

  const pending = [...roots.map((r) => r.model)];
  const done = new Set<string>();
  while (pending.length > 0) {
    const model = pending.shift()!;
    if (done.has(model)) continue;
    done.add(model);
    const modelDocs = docs(model);
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    const used = new Set<string>();
    for (const a of attributesOf(model)) {
      const field = modelDocs.fields.get(a.name);
      const schema = QUANTITY_FIELDS[model]?.includes(a.name)
        ? quantityField(a.type, used)
        : schemaOf(model, a.type, a.format, used);
      const referred = schema.$ref ? refModel(a.type) : undefined;
      const description = field?.description ?? (referred ? docs(referred).description : undefined);
      properties[a.baseName] = description ? { ...schema, description } : schema;
      if (field && !field.optional) required.push(a.baseName);
    }
    const root = roots.find((r) => r.model === model);
    definitions[definitionOf(model)] = {
      ...(modelDocs.description ? { description: modelDocs.description } : {}),
      type: 'object',
      properties,
      ...(required.length ? { required } : {}),
      ...(root?.kind
        ? {
            'x-kubernetes-group-version-kind': [
              { group: root.group, kind: root.kind, version: root.version },
            ],
          }
        : {}),
    };
    for (const u of used) {
      if (SCALARS[u]) definitions[u] = SCALARS[u];
      else pending.push(u);
    }
  }
  return { definitions, definitionOf };
}

/** The model a field's type names directly, if it is one (not an array or map of it). */
function refModel(type: string): string | undefined {
  return MODEL_NAME.test(type) && type !== 'V1MicroTime' ? type : undefined;
}

/** The models a field's type refers to, through arrays and maps. */
function referencedModels(type: string): string[] {
  return [...type.matchAll(/\b([A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?[A-Z]\w*/g)]
    .map((m) => m[0])
    .filter((m) => m !== 'V1MicroTime');
}

/** The root model of a served type; a served type client-node has no model for is an error. */
export function rootOf(t: Pick<ResourceType, 'group' | 'version' | 'kind'>): RootModel {
  const model = modelOf(t.group, t.version, t.kind);
  if (!model) throw new ClientNodeModelError(`${t.group}/${t.version} ${t.kind}`, 'not found');
  return { model, group: t.group, version: t.version, kind: t.kind };
}
