/**
 * `/openapi/v2` in the protobuf form client-go asks for
 * (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the Swagger document as
 * gnostic's `openapi.v2.Document` message. kubectl reads it for client-side validation, which it
 * does for what the v3 documents give no PATCH operation for (`kind: List` manifests, access
 * reviews), and for `kubectl explain --output plaintext-openapiv2`.
 *
 * Only the parts of the message those readers use are written: the document's swagger version,
 * info, paths (operations with their media types, parameters, responses and extensions) and
 * definitions; security and tags are left out. Field numbers are gnostic's OpenAPIv2.proto.
 * Vendor extensions are `Any` messages holding the value as YAML text (JSON is YAML).
 */
import type { Operation, Parameter, PathItem, Schema, SwaggerDocument } from './spec';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Appends protobuf fields (proto3: zero values are not written). */
class Message {
  private readonly parts: Buffer[] = [];

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
  }

  string(field: number, value: string | undefined): this {
    if (!value) return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.bytes(field, Buffer.from(v, 'utf8'));
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    if (!value) return this;
    this.key(field, 0);
    this.varint(1);
    return this;
  }

  message(field: number, value: Message | undefined): this {
    return value ? this.bytes(field, value.encode()) : this;
  }

  private bytes(field: number, value: Buffer): this {
    this.key(field, 2);
    this.varint(value.length);
    this.parts.push(value);
    return this;
  }

  encode(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** `Any` with the value as YAML text. */
function any(value: unknown): Message {
  return new Message().string(2, JSON.stringify(value));
}

/** The `x-` keys of an object as `NamedAny` entries of `field`. */
function extensions(into: Message, field: number, source: Record<string, unknown>): Message {
  for (const [name, value] of Object.entries(source)) {
    if (name.startsWith('x-')) into.message(field, new Message().string(1, name).message(2, any(value)));
  }
  return into;
}

function schema(s: Schema): Message {
  const m = new Message()
    .string(1, s.$ref)
    .string(2, s.format)
    .string(3, s.title as string | undefined)
    .string(4, s.description);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.strings(19, s.required);
  for (const e of (s.enum as unknown[] | undefined) ?? []) m.message(20, any(e));
  if (typeof s.additionalProperties === 'boolean')
    m.message(21, new Message().bool(2, s.additionalProperties));
  else if (s.additionalProperties) m.message(21, new Message().message(1, schema(s.additionalProperties)));
  if (s.type) m.message(22, new Message().strings(1, [s.type]));
  if (s.items) m.message(23, new Message().message(1, schema(s.items)));
  for (const part of s.allOf ?? []) m.message(24, schema(part));
  if (s.properties) {
    const properties = new Message();
    for (const [name, p] of Object.entries(s.properties))
      properties.message(1, new Message().string(1, name).message(2, schema(p)));
    m.message(25, properties);
  }
  return extensions(m, 31, s);
}

/** A parameter: body (BodyParameter), query or path (NonBodyParameter's sub-schemas). */
function parameter(p: Parameter): Message {
  if (p.in === 'body') {
    const body = new Message()
      .string(1, p.description)
      .string(2, p.name)
      .string(3, p.in)
      .bool(4, p.required)
      .message(5, p.schema ? schema(p.schema) : undefined);
    return new Message().message(1, body);
  }
  // Query (field 3 of NonBodyParameter) and path (4) sub-schemas number their fields alike up
  // to the name; then the query one has allow_empty_value, so its type and unique_items are one later.
  const query = p.in !== 'path';
  const sub = new Message()
    .bool(1, p.required)
    .string(2, p.in)
    .string(3, p.description)
    .string(4, p.name)
    .string(query ? 6 : 5, p.type)
    .bool(query ? 20 : 19, p.uniqueItems);
  return new Message().message(2, new Message().message(query ? 3 : 4, sub));
}

function parametersItem(p: Parameter): Message {
  if (p.$ref) return new Message().message(2, new Message().string(1, p.$ref));
  return new Message().message(1, parameter(p));
}

function operation(op: Operation): Message {
  const m = new Message()
    .strings(1, op.tags as string[] | undefined)
    .string(3, op.description as string | undefined)
    .string(5, op.operationId as string | undefined)
    .strings(6, op.produces as string[] | undefined)
    .strings(7, op.consumes as string[] | undefined);
  for (const p of op.parameters ?? []) m.message(8, parametersItem(p));
  const responses = new Message();
  for (const [code, r] of Object.entries(op.responses ?? {})) {
    const response = new Message()
      .string(1, r.description)
      .message(2, r.schema ? new Message().message(1, schema(r.schema)) : undefined);
    responses.message(1, new Message().string(1, code).message(2, new Message().message(1, response)));
  }
  m.message(9, responses).strings(10, op.schemes as string[] | undefined);
  return extensions(m, 13, op);
}

const METHOD_FIELDS: Record<string, number> = {
  get: 2,
  put: 3,
  post: 4,
  delete: 5,
  options: 6,
  head: 7,
  patch: 8,
};

function pathItem(item: PathItem): Message {
  const m = new Message();
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    const op = item[method] as Operation | undefined;
    if (op) m.message(field, operation(op));
  }
  for (const p of item.parameters ?? []) m.message(9, parametersItem(p));
  return m;
}

/** The document as gnostic's `openapi.v2.Document`. */
export function swaggerProtobuf(doc: SwaggerDocument): Buffer {
  const info = doc.info as { title?: string; version?: string; description?: string };
  const paths = new Message();
  for (const [path, item] of Object.entries(doc.paths))
    paths.message(2, new Message().string(1, path).message(2, pathItem(item)));
  const definitions = new Message();
  for (const [name, s] of Object.entries(doc.definitions))
    definitions.message(1, new Message().string(1, name).message(2, schema(s)));
  const parameters = new Message();
  for (const [name, p] of Object.entries(doc.parameters ?? {}))
    parameters.message(1, new Message().string(1, name).message(2, parameter(p)));
  return new Message()
    .string(1, doc.swagger)
    .message(2, new Message().string(1, info.title).string(2, info.version).string(3, info.description))
    .message(8, paths)
    .message(9, definitions)
    .message(10, parameters)
    .encode();
}
