import { CoordinationV1Api } from '@kubernetes/client-node';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { apiError, kubeConfigFor } from '../../support/kube';

// Injected status codes answer with the reason and message the API server gives each code.
let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ controllers: false, clock: { mode: 'manual' } });
});

afterEach(async () => {
  await sandbox.stop();
});

const CONFIGMAP = '/api/v1/namespaces/default/configmaps/settings';

describe('injected status codes', () => {
  test.each([
    [400, 'BadRequest', 'the server rejected our request for an unknown reason'],
    [401, 'Unauthorized', 'Unauthorized'],
    [404, 'NotFound', 'configmaps "settings" not found'],
    [405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource (GET)'],
    [
      409,
      'Conflict',
      'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    ],
    [413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'],
    [
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json; received: application/json',
    ],
    [
      422,
      'Invalid',
      'ConfigMap "settings" is invalid: metadata: Invalid value: "injected": rejected by an injected fault',
    ],
    [500, 'InternalError', 'Internal error occurred: injected fault'],
    [502, 'ServiceUnavailable', 'the server is currently unable to handle the request'],
    [503, 'ServiceUnavailable', 'the server is currently unable to handle the request'],
    [
      504,
      'Timeout',
      'Timeout: request did not complete within requested timeout - context deadline exceeded',
    ],
    [418, 'Unknown', 'the server responded with the status code 418 but did not return more information'],
  ])('%i answers reason %s', async (code, reason, message) => {
    // Prepare
    sandbox.faults.add({ verb: 'get', resource: 'configmaps', status: code, times: 1 });

    // Act
    const response = await fetch(`${sandbox.url}${CONFIGMAP}`);

    // Assess
    expect(response.status).toBe(code);
    expect(await response.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason, message, code });
  });

  test('403 is RBAC`s refusal naming the user, verb, resource, group and namespace', async () => {
    // Prepare
    const leases = kubeConfigFor(sandbox).makeApiClient(CoordinationV1Api);
    sandbox.faults.add({ verb: 'get', resource: 'leases', status: 403, times: 1 });
    sandbox.faults.add({ verb: 'list', resource: 'nodes', status: 403, times: 1 });
    sandbox.faults.add({ verb: 'get', resource: 'pods/log', status: 403, times: 1 });

    // Act
    const lease = await apiError(leases.readNamespacedLease({ namespace: 'default', name: 'lock' }));
    const nodes = await fetch(`${sandbox.url}/api/v1/nodes`);
    const log = await fetch(`${sandbox.url}/api/v1/namespaces/default/pods/web-0/log`);

    // Assess
    expect(lease.status).toMatchObject({
      reason: 'Forbidden',
      message:
        'leases.coordination.k8s.io "lock" is forbidden: User "system:anonymous" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "default"',
      details: { name: 'lock', group: 'coordination.k8s.io', kind: 'leases' },
      code: 403,
    });
    expect(await nodes.json()).toMatchObject({
      message:
        'nodes is forbidden: User "system:anonymous" cannot list resource "nodes" in API group "" at the cluster scope',
    });
    expect(await log.json()).toMatchObject({
      message:
        'pods "web-0" is forbidden: User "system:anonymous" cannot get resource "pods/log" in API group "" in the namespace "default"',
    });
  });

  test('410 on a watch names the resource version asked for; on a continued list, the continue token', async () => {
    // Prepare
    sandbox.faults.add({ verb: 'watch', resource: 'configmaps', status: 410, times: 1 });
    sandbox.faults.add({ verb: 'list', resource: 'configmaps', status: 410, times: 1 });

    // Act
    const watch = await fetch(`${sandbox.url}/api/v1/configmaps?watch=true&resourceVersion=7`);
    const list = await fetch(`${sandbox.url}/api/v1/configmaps?limit=1&continue=abc`);

    // Assess
    expect(await watch.json()).toMatchObject({
      reason: 'Expired',
      message: `too old resource version: 7 (${sandbox.store.oldestWatchableVersion})`,
    });
    expect(await list.json()).toMatchObject({
      reason: 'Expired',
      message:
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    });
  });
});

describe('latency faults', () => {
  test('a request held by latencyMs is let go when the sandbox stops, without being handled', async () => {
    // Prepare
    const matched = new Promise<void>((resolve) => {
      const match = sandbox.faults.match.bind(sandbox.faults);
      jest.spyOn(sandbox.faults, 'match').mockImplementation((target) => {
        const action = match(target);
        if (action) resolve();
        return action;
      });
    });
    sandbox.faults.add({ verb: 'create', resource: 'configmaps', latencyMs: 600_000, times: 1 });
    const answer = fetch(`${sandbox.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'late' } }),
    }).then(
      () => 'answered',
      () => 'connection closed',
    );
    await matched;

    // Act
    await sandbox.stop();

    // Assess
    expect(await answer).toBe('connection closed');
    const entry = await new Promise<unknown>((resolve) => {
      const poll = (): void => {
        const found = sandbox.requests.all().find((r) => r.verb === 'create');
        if (found) resolve(found);
        else setImmediate(poll);
      };
      poll();
    });
    expect(entry).toMatchObject({ verb: 'create', resource: 'configmaps', status: 0 });
    expect(sandbox.store.get(types.configmaps, 'default', 'late')).toBeUndefined();
  });
});

describe('dropAnswer faults', () => {
  test.each([
    [
      'create',
      'POST',
      '/api/v1/namespaces/default/configmaps',
      'application/json',
      { metadata: { name: 'settings' } },
    ],
    [
      'patch',
      'PATCH',
      CONFIGMAP,
      'application/merge-patch+json',
      { metadata: { name: 'settings' }, data: { mode: 'patched' } },
    ],
    [
      'update',
      'PUT',
      CONFIGMAP,
      'application/json',
      { metadata: { name: 'settings', namespace: 'default' }, data: { mode: 'replaced' } },
    ],
  ])(
    'a %s is applied, then the connection closes without an answer',
    async (verb, method, path, type, body) => {
      // Prepare
      if (verb !== 'create') {
        await fetch(`${sandbox.url}/api/v1/namespaces/default/configmaps`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ metadata: { name: 'settings' }, data: { mode: 'original' } }),
        });
      }
      sandbox.faults.add({ verb, resource: 'configmaps', dropAnswer: true, times: 1 });

      // Act
      const answer = await fetch(`${sandbox.url}${path}`, {
        method,
        headers: { 'Content-Type': type },
        body: JSON.stringify(body),
      }).then(
        (response) => `answered ${response.status}`,
        () => 'connection closed',
      );

      // Assess
      expect(answer).toBe('connection closed');
      const stored = sandbox.store.get(types.configmaps, 'default', 'settings') as
        { data?: Record<string, string> } | undefined;
      expect(stored).toBeDefined();
      if (verb === 'patch') expect(stored?.data?.mode).toBe('patched');
      if (verb === 'update') expect(stored?.data?.mode).toBe('replaced');
      const again = await fetch(`${sandbox.url}${CONFIGMAP}`);
      expect(again.status).toBe(200);
    },
  );
});
