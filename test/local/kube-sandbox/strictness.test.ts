import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  Watch,
} from '@kubernetes/client-node';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { apiError, kubeConfigFor } from '../../support/kube';
import { podManifest } from '../../support/manifests';
import { elapse, manualSandbox } from '../../support/sandbox';

/** The parts of the served documents these tests read. */
interface Status {
  message: string;
}
interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}
interface OpenApiV3Document {
  components: { schemas: Record<string, Record<string, unknown>> };
  paths: Record<string, Record<string, { parameters: Array<{ name: string }> }>>;
}

// Writes a real API server refuses or changes, and what it serves besides resources: through
// the real client over HTTP (raw fetch where the client hides what is checked, like headers).
describe('API server strictness', () => {
  let sandbox: Sandbox;
  let core: CoreV1Api;

  beforeEach(async () => {
    sandbox = await manualSandbox();
    core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  /** POSTs a body as-is (client-node would drop fields its models do not know). */
  function post(path: string, body: unknown): Promise<Response> {
    return fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  const withTypo = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'default', lables: { a: 'b' } },
    data: { a: '1' },
    extra: true,
  };

  describe('unknown fields follow fieldValidation', () => {
    it('Strict: 400 naming every unknown field', async () => {
      // Act
      const response = await post('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', withTypo);

      // Assess
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        reason: 'BadRequest',
        message:
          'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.lables", unknown field "extra"',
      });
    });

    it.each([
      ['Warn', 'Warn'],
      ['absent (the server default)', ''],
    ])('%s: stored without the fields, one Warning header each', async (_what, value) => {
      // Act
      const query = value ? `?fieldValidation=${value}` : '';
      const response = await post(`/api/v1/namespaces/default/configmaps${query}`, withTypo);

      // Assess
      expect(response.status).toBe(201);
      expect(response.headers.get('warning')).toBe(
        '299 - "unknown field \\"metadata.lables\\"", 299 - "unknown field \\"extra\\""',
      );
      const stored = await core.readNamespacedConfigMap({ namespace: 'default', name: 'cfg' });
      expect(stored.metadata?.labels).toBeUndefined();
      expect(Object.keys(stored)).not.toContain('extra');
    });

    it('Ignore: stored without the fields, silently', async () => {
      // Act
      const response = await post('/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', withTypo);

      // Assess
      expect(response.status).toBe(201);
      expect(response.headers.get('warning')).toBeNull();
    });

    it('an unknown directive is 422 on the options', async () => {
      // Act
      const response = await post('/api/v1/namespaces/default/configmaps?fieldValidation=Loose', withTypo);

      // Assess
      expect(response.status).toBe(422);
      expect(((await response.json()) as Status).message).toBe(
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "Ignore", "Strict", "Warn"',
      );
    });

    it('Strict patches name the unknown field of the patched object', async () => {
      // Prepare
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'cfg' }, data: { a: '1' } },
      });

      // Act
      const response = await fetch(
        `${sandbox.url}/api/v1/namespaces/default/configmaps/cfg?fieldValidation=Strict`,
        {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/merge-patch+json' },
          body: JSON.stringify({ data: { b: '2' }, immutible: true }),
        },
      );

      // Assess
      expect(response.status).toBe(400);
      expect(((await response.json()) as Status).message).toBe(
        'strict decoding error: unknown field "immutible"',
      );
    });
  });

  describe('values of the wrong JSON type', () => {
    it("400 with Go's decoder message naming the struct, the field path and the Go type", async () => {
      // Prepare
      const withEnv = (value: unknown) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'typed' },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', env: [{ name: 'PORT', value }] }] },
      });

      // Act
      const numberInString = await post('/api/v1/namespaces/default/pods', withEnv(8080));
      const stringInInteger = await post('/api/v1/namespaces/default/pods', {
        ...withEnv('8080'),
        spec: { ...withEnv('8080').spec, terminationGracePeriodSeconds: '30' },
      });
      const objectInArray = await post('/api/v1/namespaces/default/pods', {
        ...withEnv('8080'),
        spec: { containers: { name: 'app' } },
      });

      // Assess
      const decoding = 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal';
      expect(numberInString.status).toBe(400);
      expect(((await numberInString.json()) as Status).message).toBe(
        `${decoding} number into Go struct field EnvVar.spec.containers.env.value of type string`,
      );
      expect(((await stringInInteger.json()) as Status).message).toBe(
        `${decoding} string into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64`,
      );
      expect(((await objectInArray.json()) as Status).message).toBe(
        `${decoding} object into Go struct field PodSpec.spec.containers of type []v1.Container`,
      );
    });

    it('a quantity takes a number or a string, as a real server decodes it', async () => {
      // Act
      const response = await post('/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'sized' },
        spec: {
          containers: [
            { name: 'app', image: 'nginx:1.27', resources: { limits: { cpu: 1, memory: '1Gi' } } },
          ],
        },
      });

      // Assess
      expect(response.status).toBe(201);
    });
  });

  describe('labels and annotations', () => {
    it('422 for a bad label key and value, with the apimachinery messages', async () => {
      // Act
      const { code, status } = await apiError(
        core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'cfg', labels: { 'team/-bad': 'ok', app: 'not valid!' } } },
        }),
      );

      // Assess
      expect(code).toBe(422);
      expect(status.message).toBe(
        "ConfigMap \"cfg\" is invalid: [metadata.labels: Invalid value: \"team/-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), metadata.labels: Invalid value: \"not valid!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]",
      );
    });

    it('422 when the annotations exceed 256 KiB together', async () => {
      // Act
      const { code, status } = await apiError(
        core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'cfg', annotations: { a: 'x'.repeat(200_000), b: 'y'.repeat(70_000) } } },
        }),
      );

      // Assess
      expect(code).toBe(422);
      expect(status.message).toBe(
        'ConfigMap "cfg" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
      );
    });
  });

  describe('Time and MicroTime fields', () => {
    it('refuses a Time that is not RFC 3339, with the decoder message', async () => {
      // Act
      const response = await post('/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dated', creationTimestamp: '2026-03-01' },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(((await response.json()) as Status).message).toBe(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: parsing time "2026-03-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"',
      );
    });

    it('refuses a Time that is not a string, as its own decoder words it', async () => {
      // Act
      const response = await post('/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dated', creationTimestamp: 1772366400 },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(((await response.json()) as Status).message).toBe(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go value of type string',
      );
    });

    it('refuses a Lease renewTime without six fractional digits and serves six', async () => {
      // Prepare
      const lease = (renewTime: string) => ({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'lock', namespace: 'default' },
        spec: { holderIdentity: 'me', renewTime },
      });

      // Act
      const refused = await post(
        '/apis/coordination.k8s.io/v1/namespaces/default/leases',
        lease('2026-03-01T12:00:00.123Z'),
      );
      const accepted = await post(
        '/apis/coordination.k8s.io/v1/namespaces/default/leases',
        lease('2026-03-01T12:00:00.123456Z'),
      );
      const read = await kubeConfigFor(sandbox)
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ namespace: 'default', name: 'lock' });

      // Assess
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as Status).message).toBe(
        'Lease in version "v1" cannot be handled as a Lease: parsing time "2026-03-01T12:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
      );
      expect(accepted.status).toBe(201);
      expect(new V1MicroTime(read.spec!.renewTime!).toISOString()).toBe('2026-03-01T12:00:00.123000Z');
    });

    it('refuses an events.k8s.io eventTime without fractional seconds', async () => {
      // Act
      const response = await post('/apis/events.k8s.io/v1/namespaces/default/events', {
        metadata: { name: 'e1' },
        eventTime: '2026-03-01T12:00:00Z',
        reportingController: 'test',
        reportingInstance: 'test-1',
        action: 'Testing',
        reason: 'Tested',
        type: 'Normal',
        regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(((await response.json()) as Status).message).toContain('cannot parse "Z" as ".000000"');
    });

    it('the scheduler records events.k8s.io events: eventTime with microseconds, reportingController', async () => {
      // Prepare
      await core.createNamespacedPod({ namespace: 'default', body: podManifest('web') as never });
      await elapse(sandbox, 1000);

      // Act
      const list = await kubeConfigFor(sandbox)
        .makeApiClient(EventsV1Api)
        .listNamespacedEvent({ namespace: 'default', fieldSelector: 'reason=Scheduled' });
      const raw = (await (
        await fetch(`${sandbox.url}/apis/events.k8s.io/v1/namespaces/default/events`)
      ).json()) as { items: unknown[] };

      // Assess
      const scheduled = list.items[0];
      expect(scheduled.reportingController).toBe('default-scheduler');
      expect(scheduled.action).toBe('Binding');
      expect(scheduled.reportingInstance).toMatch(/^default-scheduler-/);
      const served = (raw.items as Array<{ reason: string; eventTime: string }>).find(
        (e) => e.reason === 'Scheduled',
      )!;
      expect(served.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    });
  });

  describe('field selectors on defaulted fields', () => {
    it('match the zero value of fields never set, as upstream GetAttrs formats them', async () => {
      // Prepare
      await core.createNamespacedPod({ namespace: 'default', body: podManifest('web') as never });
      await core.createNamespacedPod({
        namespace: 'default',
        body: podManifest('host', { spec: { hostNetwork: true } }) as never,
      });

      // Act
      const names = async (fieldSelector: string) =>
        (await core.listNamespacedPod({ namespace: 'default', fieldSelector })).items
          .map((p) => p.metadata!.name)
          .sort();

      // Assess
      expect(await names('spec.hostNetwork=false')).toEqual(['web']);
      expect(await names('spec.hostNetwork=true')).toEqual(['host']);
      expect(await names('spec.schedulerName=default-scheduler')).toEqual(['host', 'web']);
      expect(await names('spec.serviceAccountName=default')).toEqual(['host', 'web']);
      expect(await names('status.nominatedNodeName=')).toEqual(['host', 'web']);
      const nodes = await core.listNode({ fieldSelector: 'spec.unschedulable=false' });
      expect(nodes.items).toHaveLength(3);
      const { code, status } = await apiError(
        core.listNamespacedPod({ namespace: 'default', fieldSelector: 'spec.priority=0' }),
      );
      expect(code).toBe(400);
      expect(status.message).toBe('field label not supported: spec.priority');
    });

    it('status.successful selects Jobs by their succeeded count, 0 when unset', async () => {
      // Prepare
      const batch = kubeConfigFor(sandbox).makeApiClient(BatchV1Api);
      await batch.createNamespacedJob({
        namespace: 'default',
        body: {
          metadata: { name: 'migrate' },
          spec: {
            suspend: true,
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'flyway/flyway:10' }] },
            },
          },
        },
      });

      // Act
      const zero = await batch.listNamespacedJob({
        namespace: 'default',
        fieldSelector: 'status.successful=0',
      });
      const one = await batch.listNamespacedJob({
        namespace: 'default',
        fieldSelector: 'status.successful=1',
      });

      // Assess
      expect(zero.items.map((j) => j.metadata!.name)).toEqual(['migrate']);
      expect(one.items).toEqual([]);
    });
  });

  describe('a write that changes nothing', () => {
    it('answers the object with the same resourceVersion and sends no watch event', async () => {
      // Prepare
      const created = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'cfg', labels: { app: 'web' } }, data: { a: '1' } },
      });
      const seen: string[] = [];
      const watch = await new Watch(kubeConfigFor(sandbox)).watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: created.metadata!.resourceVersion },
        (type) => seen.push(type),
        () => undefined,
      );

      // Act
      const patched = await core.patchNamespacedConfigMap(
        {
          namespace: 'default',
          name: 'cfg',
          body: { data: { a: '1' }, metadata: { labels: { app: 'web' } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      const updated = await core.replaceNamespacedConfigMap({
        namespace: 'default',
        name: 'cfg',
        body: patched,
      });
      const changed = await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'cfg', body: { data: { a: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      watch.abort();

      // Assess
      expect(patched.metadata!.resourceVersion).toBe(created.metadata!.resourceVersion);
      expect(updated.metadata!.resourceVersion).toBe(created.metadata!.resourceVersion);
      expect(changed.metadata!.resourceVersion).not.toBe(created.metadata!.resourceVersion);
      expect(seen).toEqual(['MODIFIED']);
    });
  });

  describe('namespace deletion', () => {
    it('goes through Terminating: pods are stopped gracefully, new content is refused, then it is gone', async () => {
      // Prepare
      await core.createNamespace({ body: { metadata: { name: 'team' } } });
      await core.createNamespacedPod({
        namespace: 'team',
        body: podManifest('web', { namespace: 'team' }) as never,
      });
      await core.createNamespacedConfigMap({ namespace: 'team', body: { metadata: { name: 'cfg' } } });
      await elapse(sandbox, 3000);

      // Act
      await core.deleteNamespace({ name: 'team' });
      const terminating = await core.readNamespace({ name: 'team' });
      const pod = await core.readNamespacedPod({ namespace: 'team', name: 'web' });
      const refused = await apiError(
        core.createNamespacedConfigMap({ namespace: 'team', body: { metadata: { name: 'late' } } }),
      );
      await elapse(sandbox, 5000);
      const gone = await apiError(core.readNamespace({ name: 'team' }));

      // Assess
      expect(terminating.status!.phase).toBe('Terminating');
      expect(terminating.metadata!.deletionTimestamp).toBeDefined();
      expect(pod.metadata!.deletionTimestamp).toBeDefined();
      expect(refused.code).toBe(403);
      expect(refused.status.message).toBe(
        'configmaps "late" is forbidden: unable to create new content in namespace team because it is being terminated',
      );
      expect(gone.code).toBe(404);
      expect(sandbox.store.list(types.pods, 'team')).toEqual([]);
    });
  });

  describe('non-resource endpoints', () => {
    it.each(['healthz', 'livez', 'readyz'])(
      '/%s answers ok in plain text, and each check with ?verbose',
      async (probe) => {
        // Act
        const plain = await fetch(`${sandbox.url}/${probe}`);
        const verbose = await (await fetch(`${sandbox.url}/${probe}?verbose`)).text();

        // Assess
        expect(plain.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(await plain.text()).toBe('ok');
        expect(verbose).toMatch(
          new RegExp(`^\\[\\+\\]ping ok\\n(\\[\\+\\][\\w-]+ ok\\n)+${probe} check passed\\n$`),
        );
      },
    );

    it('/openapi/v3 lists each served group/version with a hash; the document defines its kinds', async () => {
      // Act
      const index = (await (await fetch(`${sandbox.url}/openapi/v3`)).json()) as OpenApiV3Index;
      const apps = index.paths['apis/apps/v1'].serverRelativeURL as string;
      const doc = (await (await fetch(`${sandbox.url}${apps}`)).json()) as OpenApiV3Document;

      // Assess
      expect(Object.keys(index.paths)).toEqual(
        expect.arrayContaining([
          'api/v1',
          'apis/apps/v1',
          'apis/batch/v1',
          'apis/coordination.k8s.io/v1',
          'apis/events.k8s.io/v1',
        ]),
      );
      expect(apps).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
      expect(
        doc.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'],
      ).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
      const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
      expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    });

    it("/openapi/v2 is JSON, or gnostic's protobuf message when client-go asks for it", async () => {
      // Act
      const json = await fetch(`${sandbox.url}/openapi/v2`, { headers: { Accept: 'application/json' } });
      const protobuf = await fetch(`${sandbox.url}/openapi/v2`, {
        headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
      });
      const yaml = await fetch(`${sandbox.url}/openapi/v2`, { headers: { Accept: 'application/yaml' } });

      // Assess
      expect(json.status).toBe(200);
      expect(
        ((await json.json()) as { definitions: Record<string, unknown> }).definitions[
          'io.k8s.api.core.v1.Pod'
        ],
      ).toBeDefined();
      expect(protobuf.status).toBe(200);
      const bytes = Buffer.from(await protobuf.arrayBuffer());
      // Document field 1 (swagger, a string): tag 0x0a, length 3, "2.0"
      expect(bytes.subarray(0, 5)).toEqual(Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]));
      expect(bytes.includes('io.k8s.api.core.v1.Pod')).toBe(true);
      expect(yaml.status).toBe(406);
    });
  });
});
