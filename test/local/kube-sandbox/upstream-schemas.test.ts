import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { BEHAVIOR_ANNOTATION } from '../../../local/kube-sandbox/behavior';
import { clientNodeSwagger } from '../../../local/kube-sandbox/openapi/client-node-spec';
import { UPSTREAM_FILE, upstreamSwagger, type Schema } from '../../../local/kube-sandbox/openapi/spec';
import { apiVersionOf, RESOURCE_TYPES, type ResourceType } from '../../../local/kube-sandbox/resources';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';

// Every object the sandbox serves, of every listable type in every namespace, validated over
// HTTP against the upstream schemas, made strict as openapi2jsonschema --strict makes them
// (the kubeconform/kubeval schemas): objects with properties take no others, fields may be
// null. A field the sandbox invents, a number served where Kubernetes serves a string (a
// quantity), a missing required field or a shape a real server never serves fails here.
//
// The schemas are the definitions of Kubernetes' published spec as @kubernetes/client-node's
// generated models carry them (release 1.36; see openapi/client-node-models.ts), and also, when
// SANDBOX_OPENAPI_SPEC names one, the operator's copy of the published spec itself. Every object
// is also validated against the schemas of Kubernetes 1.33 as kubernetes-models compiles them
// (a dev dependency pinned for that version), the release EKS clusters run.
const SOURCES: Record<string, () => Record<string, Schema>> = {
  '@kubernetes/client-node models': () => clientNodeSwagger(RESOURCE_TYPES).definitions,
  ...(UPSTREAM_FILE
    ? { [`SANDBOX_OPENAPI_SPEC ${UPSTREAM_FILE}`]: () => upstreamSwagger().definitions }
    : {}),
};

/**
 * The published JSON schemas of Kubernetes 1.33 as kubernetes-models 4.5.x compiles them
 * ("Update schema version to v1.33.0" in its changelog): one model class per kind, whose
 * `validate()` throws with every violation. They check types, formats, enums and required fields
 * as a 1.33 API server's clients do; they allow fields they do not define, so the strict schemas
 * above are what refuse an invented field.
 */
async function kubernetes133Validator(t: ResourceType): Promise<(obj: KubeObject) => string[]> {
  const path = `kubernetes-models/${t.group ? `${t.group}/` : ''}${t.version}/${t.kind}`;
  const module = (await import(path)) as Record<string, new (data: KubeObject) => { validate(): void }>;
  const Model = module[t.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${apiVersionOf(t)} ${t.kind}`);
  return (obj) => {
    try {
      new Model(withoutNulls(obj) as KubeObject).validate();
      return [];
    } catch (error) {
      const { errors = [] } = error as {
        errors?: Array<{ instancePath: string; message?: string; params: { missingProperty?: string } }>;
      };
      if (errors.length === 0) return [(error as Error).message];
      return errors
        .filter(
          (e) =>
            !(e.params.missingProperty && fieldAt(obj, e.instancePath, e.params.missingProperty) === null),
        )
        .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
  };
}

/** The value served at a JSON pointer's field (null for a field served as null). */
function fieldAt(obj: unknown, pointer: string, field: string): unknown {
  let node = obj as Record<string, unknown> | undefined;
  for (const part of pointer.split('/').slice(1)) node = node?.[part] as Record<string, unknown> | undefined;
  return node?.[field];
}

/**
 * Null fields dropped (and a required field served as null accepted), as the strict check above
 * allows them: Go marshals a zero Time or
 * MicroTime and a nil slice without omitempty as null, and a real server serves them so (a legacy
 * Event's `eventTime` through events.k8s.io/v1, an EndpointSlice without endpoints), while the
 * schemas type those fields as string or array.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== null)
      .map(([key, field]) => [key, withoutNulls(field)]),
  );
}

const NUMBER_OR_STRING = new Set([
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  'io.k8s.apimachinery.pkg.api.resource.Quantity',
]);

/** One upstream definition, made strict (openapi2jsonschema's --strict and its null handling). */
function strict(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema };
  if (schema.properties) {
    // Null is allowed for every field, required ones too: a zero metav1.Time or MicroTime
    // marshals as null, and a real server serves legacy Events through events.k8s.io/v1 with
    // `eventTime: null` although the schema requires the field.
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, property]) => [
        name,
        { anyOf: [strict(property), { type: 'null' }] },
      ]),
    );
    if (schema.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (schema.items) out.items = strict(schema.items);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    out.additionalProperties = strict(schema.additionalProperties);
  }
  return out;
}

function validators(source: Record<string, Schema>): (t: ResourceType) => ValidateFunction {
  const definitions = Object.fromEntries(
    Object.entries(source).map(([name, schema]) => [
      name,
      NUMBER_OR_STRING.has(name) ? { oneOf: [{ type: 'string' }, { type: 'integer' }] } : strict(schema),
    ]),
  );
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int32', true).addFormat('int64', true).addFormat('double', true).addFormat('byte', true);
  ajv.addSchema({ $id: 'k8s', definitions });
  return (t) => {
    const name = Object.keys(source).find((n) =>
      source[n]['x-kubernetes-group-version-kind']?.some(
        (g) => g.group === t.group && g.version === t.version && g.kind === t.kind,
      ),
    );
    if (!name) throw new Error(`no upstream definition for ${apiVersionOf(t)} ${t.kind}`);
    return ajv.compile({ $ref: `k8s#/definitions/${name}` });
  };
}

/** Pods that show the kubelet's failure shapes besides the demo's own. */
function failurePods(): KubeObject[] {
  const pod = (name: string, behavior: object | undefined, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ...(behavior ? { annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify(behavior) } } : {}),
    },
    spec,
  });
  const app = (extra: object = {}) => [{ name: 'app', image: 'nginx:1.27', ...extra }];
  return [
    pod('missing-config', undefined, { containers: app({ envFrom: [{ configMapRef: { name: 'nope' } }] }) }),
    pod('missing-volume', undefined, {
      containers: app(),
      volumes: [{ name: 'cfg', configMap: { name: 'nope' } }],
    }),
    pod('no-binary', { app: { mode: 'command-not-found' } }, { containers: app({ command: ['gunicorn'] }) }),
    pod(
      'hangs',
      { app: { mode: 'liveness-failure', runSeconds: 2 } },
      { containers: app({ livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 } }) },
    ),
    pod(
      'evicted',
      { app: { mode: 'disk-full', runSeconds: 2 } },
      {
        containers: app({ volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }),
        volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '500Mi' } }],
      },
    ),
  ];
}

describe('objects served validate against the upstream JSON schemas', () => {
  let sandbox: Sandbox;
  const served = new Map<string, KubeObject[]>();

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: 200 } });
    sandbox.apply(failurePods());
    // Two minutes of sandbox time: crash loops, back-offs, liveness kills and evictions happen.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await sandbox.settle();
    for (const t of RESOURCE_TYPES) {
      if (t.verbs && !t.verbs.includes('list')) continue; // access reviews are answered, never stored
      const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
      const response = await fetch(`${sandbox.url}${prefix}/${t.plural}`);
      const list = (await response.json()) as { items: KubeObject[] };
      served.set(
        `${apiVersionOf(t)} ${t.kind}`,
        list.items.map((item) => ({ apiVersion: apiVersionOf(t), kind: t.kind, ...item })),
      );
    }
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('serves objects of the failure shapes (the walk is not empty)', () => {
    const pods = served.get('v1 Pod')!;
    expect(pods.length).toBeGreaterThan(10);
    expect(served.get('v1 Event')!.length).toBeGreaterThan(10);
    const evicted = pods.find((p) => p.metadata.name === 'evicted');
    expect((evicted?.status as { reason?: string }).reason).toBe('Evicted');
  });

  it('the strict schemas refuse a field upstream does not define', () => {
    const validate = validators(SOURCES['@kubernetes/client-node models']())(
      RESOURCE_TYPES.find((t) => t.kind === 'Pod')!,
    );
    const pod = structuredClone(served.get('v1 Pod')![0]);
    (pod.spec as Record<string, unknown>).restartPolicyy = 'Always';

    expect(validate(pod)).toBe(false);
    expect(validate.errors?.[0].params).toEqual({ additionalProperty: 'restartPolicyy' });
  });

  it.each(Object.keys(SOURCES))('every object validates against the schemas of %s', (source) => {
    const validatorFor = validators(SOURCES[source]());
    const failures: string[] = [];
    for (const t of RESOURCE_TYPES) {
      const validate = validatorFor(t);
      for (const obj of served.get(`${apiVersionOf(t)} ${t.kind}`) ?? []) {
        const where = `${apiVersionOf(t)} ${t.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
        if (validate(obj)) continue;
        for (const e of validate.errors ?? []) {
          failures.push(`${where}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('the 1.33 schemas refuse a wrong type and a missing required field', async () => {
    const validate = await kubernetes133Validator(RESOURCE_TYPES.find((t) => t.kind === 'Pod')!);
    const pod = structuredClone(served.get('v1 Pod')![0]);
    const spec = pod.spec as { containers: Array<Record<string, unknown>> };
    spec.containers[0].ports = [{ containerPort: '8080' }];
    delete spec.containers[0].name;

    expect(validate(pod)).toEqual([
      expect.stringMatching(/^\/spec\/containers\/0 must have required property name /),
      expect.stringMatching(/^\/spec\/containers\/0\/ports\/0\/containerPort must be integer/),
    ]);
  });

  it('every object validates against the Kubernetes 1.33 schemas (kubernetes-models 4.5)', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const t of RESOURCE_TYPES) {
      const objects = served.get(`${apiVersionOf(t)} ${t.kind}`) ?? [];
      if (objects.length === 0) continue;
      const validate = await kubernetes133Validator(t);
      for (const obj of objects) {
        checked += 1;
        const where = `${apiVersionOf(t)} ${t.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
        failures.push(...validate(obj).map((message) => `${where}: ${message}`));
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(failures).toEqual([]);
  });
});
