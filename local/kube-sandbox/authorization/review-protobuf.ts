/*
 * kubectl's typed clients post SelfSubjectAccessReview and SelfSubjectRulesReview as protobuf
 * (`application/vnd.kubernetes.protobuf`): the `k8s\0` magic, then a runtime.Unknown whose `raw`
 * field is the review. Only the spec fields those reviews carry are read here.
 */

type Fields = Map<number, Buffer[]>;

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const byte = buf[i++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, i];
    shift += 7;
  }
}

/** The length-delimited fields of a message, by field number (other wire types are skipped). */
function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let i = 0;
  while (i < buf.length) {
    const [key, next] = varint(buf, i);
    i = next;
    const wire = key & 7;
    if (wire === 0) [, i] = varint(buf, i);
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const [length, start] = varint(buf, i);
      const list = out.get(key >>> 3) ?? [];
      list.push(buf.subarray(start, start + length));
      out.set(key >>> 3, list);
      i = start + length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

function text(f: Fields, n: number): string | undefined {
  return f.get(n)?.[0]?.toString('utf8');
}

function strings(f: Fields, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    const value = text(f, i + 1);
    if (value) out[name] = value;
  });
  return out;
}

/** The JSON form of a protobuf-encoded review, or undefined when the body is not one. */
export function decodeReview(body: Buffer): Record<string, unknown> | undefined {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0') return undefined;
  const unknown = fields(body.subarray(4));
  const typeMeta = fields(unknown.get(1)?.[0] ?? Buffer.alloc(0));
  const kind = text(typeMeta, 2);
  const review = fields(unknown.get(2)?.[0] ?? Buffer.alloc(0));
  const spec = fields(review.get(2)?.[0] ?? Buffer.alloc(0));
  const meta = { apiVersion: text(typeMeta, 1), kind };
  if (kind === 'SelfSubjectRulesReview') return { ...meta, metadata: {}, spec: strings(spec, ['namespace']) };
  const resource = spec.get(1)?.[0];
  const nonResource = spec.get(2)?.[0];
  return {
    ...meta,
    metadata: {},
    spec: {
      ...(resource
        ? {
            resourceAttributes: strings(fields(resource), [
              'namespace',
              'verb',
              'group',
              'version',
              'resource',
              'subresource',
              'name',
            ]),
          }
        : {}),
      ...(nonResource ? { nonResourceAttributes: strings(fields(nonResource), ['path', 'verb']) } : {}),
    },
  };
}
