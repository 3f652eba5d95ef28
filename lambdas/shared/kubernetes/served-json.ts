import type { Middleware, ResponseBody } from '@kubernetes/client-node';

/**
 * Evidence is what the API server served, not client-node's model of it. client-node turns
 * every timestamp into a Date (dropping the microseconds of a MicroTime and re-spelling the
 * rest), so objects written as evidence are read from the response body as plain JSON: every
 * field, timestamp and number exactly as the server wrote it.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Keeps each response body readable more than once: client-node's response processor reads
 * it to build its model, and the adapter reads the same text again as JSON. The body is read
 * once from the connection.
 */
export function rereadableBodyMiddleware(): Middleware {
  return {
    pre: async (context) => context,
    post: async (response) => {
      const original = response.body;
      // text(), not binary(): client-node's fetch adapter maps binary() to a method undici lacks.
      let text: Promise<string> | undefined;
      const read = () => (text ??= original.text());
      const body: ResponseBody = {
        text: read,
        binary: async () => Buffer.from(await read(), 'utf8'),
        stream: () => null,
      };
      response.body = body;
      return response;
    },
  };
}

/** The body of a client-node answer (a `...WithHttpInfo` call) as the JSON the server sent. */
export async function servedJson(answer: { body: ResponseBody }): Promise<JsonObject> {
  return JSON.parse(await answer.body.text()) as JsonObject;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field of a served object, by path. */
export function servedString(object: JsonObject, ...path: string[]): string | undefined {
  let value: JsonValue | undefined = object;
  for (const key of path) value = isObject(value) ? value[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Go's zero time.Time, which sorts before every real timestamp. */
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

function timeOf(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * `kubectl events` order key of a served Event, core/v1 or events.k8s.io/v1:
 * series.lastObservedTime, else lastTimestamp (deprecatedLastTimestamp), else eventTime.
 */
export function servedEventTime(event: JsonObject): number {
  if (isObject(event.series)) return timeOf(servedString(event, 'series', 'lastObservedTime')) ?? ZERO_TIME;
  return (
    timeOf(servedString(event, 'lastTimestamp') ?? servedString(event, 'deprecatedLastTimestamp')) ??
    timeOf(servedString(event, 'eventTime')) ??
    ZERO_TIME
  );
}

/** What a served Event is about: core/v1 `involvedObject`, events.k8s.io/v1 `regarding`. */
export function servedEventSubject(event: JsonObject): { kind?: string; name?: string } {
  const about = isObject(event.involvedObject) ? event.involvedObject : event.regarding;
  if (!isObject(about)) return {};
  return {
    kind: typeof about.kind === 'string' ? about.kind : undefined,
    name: typeof about.name === 'string' ? about.name : undefined,
  };
}

/** kubectl hides managedFields unless asked (`--show-managed-fields`): bulk a responder never reads. */
export function withoutManagedFields(object: JsonObject): JsonObject {
  const metadata = object.metadata;
  if (!isObject(metadata) || !('managedFields' in metadata)) return object;
  const { managedFields: _managedFields, ...rest } = metadata;
  return { ...object, metadata: rest };
}

/**
 * Parses a served SecretList keeping, of each Secret, its identity, its type and its key
 * names: the values are dropped while the text is parsed, before any object holds them.
 */
export function parseSecretKeys(text: string): JsonObject {
  return JSON.parse(text, function (this: JsonObject, key: string, value: JsonValue) {
    // The reviver runs innermost first: `data` of an item is replaced as soon as it is built.
    if ((key === 'data' || key === 'stringData') && isObject(value) && typeof this.type === 'string') {
      return Object.keys(value).sort();
    }
    return value;
  }) as JsonObject;
}
