import {
  BatchV1Api,
  CoreV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { apiError, kubeConfigFor } from '../../helpers/kube';
import { elapse, manualSandbox } from './common-helpers';
import { podManifest } from './pod-helpers';

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

  describe('MicroTime fields', () => {
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
  });
});
