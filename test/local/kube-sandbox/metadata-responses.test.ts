import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';

// Metadata-only responses (`Accept: ...;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`), as
// client-go's metadata client, the garbage collector and `kubectl get --show-kind` ask for them.
let sandbox: Sandbox;

// What client-go's metadata client sends: protobuf first (the sandbox passes over it), then JSON.
const LIST_ACCEPT =
  'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const GET_ACCEPT =
  'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

function configMap(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'team', labels: { app: 'web' } },
    data: { big: 'x'.repeat(100) },
  };
}

beforeEach(async () => {
  sandbox = await startSandbox({ controllers: false, clock: { mode: 'manual' } });
  sandbox.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
    configMap('a'),
    configMap('b'),
    configMap('c'),
  ]);
});

afterEach(async () => {
  await sandbox.stop();
});

async function get(path: string, accept: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}${path}`, { headers: { Accept: accept } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function stored(name: string): KubeObject {
  return sandbox.store.mustGet(types.configmaps, 'team', name);
}

describe('metadata-only responses', () => {
  test('a list answers a PartialObjectMetadataList of typed metadata-only items, paging kept', async () => {
    // Act
    const first = await get('/api/v1/namespaces/team/configmaps?limit=2', LIST_ACCEPT);
    const token = (first.body.metadata as { continue: string }).continue;
    const rest = await get(`/api/v1/namespaces/team/configmaps?limit=2&continue=${token}`, LIST_ACCEPT);

    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: expect.any(String), continue: token, remainingItemCount: 1 },
      items: ['a', 'b'].map((name) => ({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: stored(name).metadata,
      })),
    });
    expect(rest.body.items).toEqual([
      { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: stored('c').metadata },
    ]);
  });

  test('a get answers a PartialObjectMetadata', async () => {
    // Act
    const { status, body } = await get('/api/v1/namespaces/team/configmaps/b', GET_ACCEPT);

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: stored('b').metadata,
    });
  });

  test('a watch sends each object as PartialObjectMetadata', async () => {
    // Prepare
    const controller = new AbortController();
    const response = await fetch(
      `${sandbox.url}/api/v1/namespaces/team/configmaps?watch=true&labelSelector=app`,
      {
        headers: { Accept: GET_ACCEPT },
        signal: controller.signal,
      },
    );
    const reader = response.body!.getReader();
    const lines: string[] = [];
    let buffered = '';

    // Act
    sandbox.apply([configMap('d')]);
    while (lines.length < 4) {
      const { value } = await reader.read();
      buffered += new TextDecoder().decode(value);
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    }
    controller.abort();

    // Assess
    const events = lines.map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
    expect(events.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([
      ['ADDED', 'a'],
      ['ADDED', 'b'],
      ['ADDED', 'c'],
      ['ADDED', 'd'],
    ]);
    expect(events[3].object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: stored('d').metadata,
    });
  });

  test('asking a list for the single form, or an object for the list form, is 406 NotAcceptable', async () => {
    // Act
    const list = await get('/api/v1/namespaces/team/configmaps', GET_ACCEPT);
    const one = await get('/api/v1/namespaces/team/configmaps/a', LIST_ACCEPT);

    // Assess
    expect(list).toEqual({
      status: 406,
      body: expect.objectContaining({
        reason: 'NotAcceptable',
        message:
          'you requested PartialObjectMetadata, but the requested object is a list (*core.ConfigMapList)',
        code: 406,
      }),
    });
    expect(one.body).toMatchObject({
      reason: 'NotAcceptable',
      message:
        'you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)',
    });
  });

  test('plain JSON and kubectl`s Table requests are answered as before', async () => {
    // Act
    const plain = await get('/api/v1/namespaces/team/configmaps/a', 'application/json, */*');
    const table = await get(
      '/api/v1/namespaces/team/configmaps',
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    );

    // Assess
    expect(plain.body).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', data: { big: 'x'.repeat(100) } });
    expect(table.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.body.rows).toHaveLength(3);
  });
});
