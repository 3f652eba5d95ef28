import { CoordinationV1Api, CoreV1Api, EventsV1Api, V1MicroTime } from '@kubernetes/client-node';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { apiError, kubeConfigFor } from '../../support/kube';

// metadata.name as ValidateObjectMeta checks it on create, for every type, through client-node.
let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ controllers: false, clock: { mode: 'manual' } });
});

afterEach(async () => {
  await sandbox.stop();
});

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

describe('object names', () => {
  test('a ConfigMap named Not_A_Name is 422 Invalid, naming the RFC 1123 subdomain rule', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);

    // Act
    const error = await apiError(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'Not_A_Name' }, data: { a: '1' } },
      }),
    );

    // Assess
    expect(error.code).toBe(422);
    expect(error.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `ConfigMap "Not_A_Name" is invalid: metadata.name: Invalid value: "Not_A_Name": ${SUBDOMAIN}`,
      reason: 'Invalid',
      details: {
        name: 'Not_A_Name',
        kind: 'ConfigMap',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "Not_A_Name": ${SUBDOMAIN}`,
            field: 'metadata.name',
          },
        ],
      },
      code: 422,
    });
    expect(await core.listNamespacedConfigMap({ namespace: 'default' })).toMatchObject({ items: [] });
  });

  test('a Lease named Not_A_Name is 422 Invalid; a valid name is created', async () => {
    // Prepare
    const leases = kubeConfigFor(sandbox).makeApiClient(CoordinationV1Api);
    const lease = (name: string) => ({ metadata: { name }, spec: { holderIdentity: 'me' } });

    // Act
    const error = await apiError(
      leases.createNamespacedLease({ namespace: 'default', body: lease('Not_A_Name') }),
    );
    const created = await leases.createNamespacedLease({ namespace: 'default', body: lease('lock.v2') });

    // Assess
    expect(error.code).toBe(422);
    expect(error.status).toMatchObject({
      reason: 'Invalid',
      message: `Lease.coordination.k8s.io "Not_A_Name" is invalid: metadata.name: Invalid value: "Not_A_Name": ${SUBDOMAIN}`,
      details: { name: 'Not_A_Name', group: 'coordination.k8s.io', kind: 'Lease' },
    });
    expect(created.metadata?.name).toBe('lock.v2');
  });

  test('a name over 253 characters is reported by length alone', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const name = 'a'.repeat(254);

    // Act
    const error = await apiError(
      core.createNamespacedSecret({
        namespace: 'default',
        body: { metadata: { name }, stringData: { k: 'v' } },
      }),
    );

    // Assess
    expect(error.status).toMatchObject({
      message: `Secret "${name}" is invalid: metadata.name: Invalid value: "${name}": must be no more than 253 characters`,
    });
  });

  test('Namespaces are RFC 1123 labels and Services RFC 1035 labels', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);

    // Act
    const namespace = await apiError(core.createNamespace({ body: { metadata: { name: 'team.a' } } }));
    const service = await apiError(
      core.createNamespacedService({
        namespace: 'default',
        body: { metadata: { name: '1st-web' }, spec: { ports: [{ port: 80 }] } },
      }),
    );
    const labelOk = await core.createNamespace({ body: { metadata: { name: '1st-team' } } });

    // Assess
    expect(namespace.status.message).toBe(
      `Namespace "team.a" is invalid: metadata.name: Invalid value: "team.a": ${LABEL}`,
    );
    expect(service.status.message).toBe(
      `Service "1st-web" is invalid: metadata.name: Invalid value: "1st-web": ${DNS1035}`,
    );
    expect(labelOk.metadata?.name).toBe('1st-team');
  });

  test('a bad generateName is reported on metadata.generateName, with its trailing dash allowed', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);

    // Act
    const error = await apiError(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'Cfg-' } } }),
    );
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { generateName: 'cfg-' } },
    });

    // Assess
    const causes = (error.status.details as { causes: Array<{ field: string; message: string }> }).causes;
    expect(causes.map((c) => c.field)).toEqual(['metadata.generateName', 'metadata.name']);
    expect(causes[0].message).toBe(`Invalid value: "Cfg-": ${SUBDOMAIN}`);
    expect(created.metadata?.name).toMatch(/^cfg-[a-z0-9]{5}$/);
  });

  test('core/v1 Events keep any name; events.k8s.io/v1 Events need a subdomain', async () => {
    // Prepare
    const kc = kubeConfigFor(sandbox);
    const regarding = { kind: 'Pod', name: 'p', namespace: 'default' };

    // Act
    const legacy = await kc.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: 'default',
      body: { metadata: { name: 'Pod_p.1' }, involvedObject: regarding, reason: 'Tested', message: 'm' },
    });
    const strict = await apiError(
      kc.makeApiClient(EventsV1Api).createNamespacedEvent({
        namespace: 'default',
        body: {
          metadata: { name: 'Pod_p.2' },
          // A MicroTime (six fractional digits): a Date would be refused before the name is checked.
          eventTime: new V1MicroTime('2026-01-01T00:00:00Z'),
          reportingController: 'test',
          reportingInstance: 'test-1',
          action: 'Testing',
          regarding,
          reason: 'Tested',
          type: 'Normal',
        },
      }),
    );

    // Assess
    expect(legacy.metadata?.name).toBe('Pod_p.1');
    expect(strict.status.message).toBe(
      `Event.events.k8s.io "Pod_p.2" is invalid: metadata.name: Invalid value: "Pod_p.2": ${SUBDOMAIN}`,
    );
  });
});
