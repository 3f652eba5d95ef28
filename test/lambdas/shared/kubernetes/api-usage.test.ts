import type { RolloutKind, Target } from '../../../../lambdas/shared/contracts';
import { ClientNodeOwnerLookup } from '../../../../lambdas/intake/cluster-owner-lookup';
import { localKubeConfig } from '../../../../lambdas/shared/kubernetes/client';
import { DUMP_RESOURCES, type KubernetesOperation } from '../../../../lambdas/shared/kubernetes/api-usage';
import {
  ALL_API_USAGE,
  KUBERNETES_STEPS,
  STEP_OPERATIONS,
} from '../../../../lambdas/shared/kubernetes/step-access';
import { rbacAllows, type RbacVerb } from '../../../../lambdas/shared/rbac';
import type { RecordedRequest } from '../../../../local/kube-sandbox/request-log';
import * as manifests from '../../../support/manifests';
import {
  NS,
  daemonSet,
  deployment,
  setImage,
  startKube,
  statefulSet,
  type KubeUnderTest,
} from './sandbox-kube';
import { eventually } from '../../../support/polling';

// Every request each operation of the adapter (and of the intake's owner lookup) makes is
// declared for that operation in api-usage.ts, and the group of every step that uses the
// operation (step-access.ts) is granted it by the RBAC it gets (rbac.ts): what the sandbox saw
// is the evidence.
let t: KubeUnderTest;
/** The scratch namespace of the backup restore tests. */
const SCRATCH = 'backup-restore-test';

afterAll(async () => {
  await t?.sandbox.stop();
});

interface Use {
  apiGroup: string;
  resource: string;
  verb: string;
  namespace?: string;
  operation: KubernetesOperation;
}

/**
 * A request for a resource type the sandbox does not serve (yet) is recorded as `discovery`;
 * RBAC still sees it as a get or list of that resource, read from the path as the API server does.
 */
function unservedUse(request: RecordedRequest, group: string): Omit<Use, 'operation'> {
  const parts = request.path.split('?')[0].split('/').filter(Boolean);
  const rest = parts.slice(group ? 3 : 2);
  const namespace = rest[0] === 'namespaces' ? rest[1] : undefined;
  const [resource, name] = namespace ? rest.slice(2) : rest;
  return { apiGroup: group, resource, verb: name ? 'get' : 'list', namespace };
}

function useOf(request: RecordedRequest): Omit<Use, 'operation'> {
  const group = request.path.startsWith('/apis/') ? request.path.split('/')[2] : '';
  if (request.verb === 'discovery' && request.status === 404) return unservedUse(request, group);
  return {
    apiGroup: group,
    resource: request.subresource ? `${request.resource}/${request.subresource}` : request.resource!,
    verb: request.verb,
    namespace: request.namespace,
  };
}

/**
 * Runs every operation of the port (each kind of workload, each path), as the Lambdas do, and
 * returns the requests the sandbox saw, each with the operation that made it.
 */
async function everyOperation(): Promise<Use[]> {
  t = await startKube({
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SCRATCH } },
      deployment('alldata-api', {
        behavior: { app: { mode: 'crash', runSeconds: 2, recoverAfterRolloutRestart: true } },
      }),
      statefulSet('mysql'),
      daemonSet('fluent-bit'),
      manifests.service(NS, 'mysql', 3306),
      manifests.configMap(NS, 'alldata-api-config', { LOG_LEVEL: 'info' }),
      manifests.secret(NS, 'alldata-db-credentials', { DB_PASSWORD: 'x' }),
      manifests.job(NS, 'db-migrate'),
      manifests.cronJob(NS, 'nightly-backup', '0 2 * * *'),
    ],
  });
  const targets: Array<Target & { kind: RolloutKind }> = [
    { namespace: NS, kind: 'Deployment', name: 'alldata-api' },
    { namespace: NS, kind: 'StatefulSet', name: 'mysql' },
    { namespace: NS, kind: 'DaemonSet', name: 'fluent-bit' },
  ];
  const seen: Use[] = [];
  /** Runs one operation and attributes the requests the sandbox saw meanwhile to it. */
  async function op<T>(operation: KubernetesOperation, act: () => Promise<T>): Promise<T> {
    const before = t.sandbox.requests.all().length;
    const result = await act();
    seen.push(
      ...t.sandbox.requests
        .all()
        .slice(before)
        .map((r) => ({ ...useOf(r), operation })),
    );
    return result;
  }
  const kube = t.kube;
  const pod = await eventually('a restarted container', async () => {
    const pods = await op('listPods', () =>
      kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } }),
    );
    return pods.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0);
  });
  await op('readLog', () =>
    kube.logs.readLog(NS, pod.metadata!.name!, 'app', { previous: true, tailLines: 5 }),
  );
  // The intake's owner lookup: a pod up to its ReplicaSet, and the pod-name guesses.
  const owners = new ClientNodeOwnerLookup(localKubeConfig({ yaml: t.sandbox.kubeconfig() }), {
    requestTimeoutMs: 5000,
  });
  const rs = await op('controllerOf', () => owners.controllerOf(NS, 'Pod', pod.metadata!.name!));
  await op('controllerOf', () => owners.controllerOf(NS, 'ReplicaSet', rs!.controller!.name));
  await op('controllerOf', () => owners.controllerOf(NS, 'StatefulSet', 'mysql'));
  await op('controllerOf', () => owners.controllerOf(NS, 'DaemonSet', 'fluent-bit'));
  for (const target of targets) {
    const workload = await op('getWorkload', () => kube.workloads.getWorkload(target));
    const pods = await op('listPods', () => kube.workloads.listPods(NS, workload.object.spec!.selector!));
    const nodes = pods.map((p) => p.spec?.nodeName ?? '').filter(Boolean);
    await op('getNodes', () => kube.workloads.getNodes(nodes));
    await op('getServedNodes', () => kube.dump.getServedNodes(nodes));
    const subjects = await op('eventSubjects', () => kube.events.eventSubjects(target));
    await op('listEvents', () => kube.events.listEvents(NS, subjects));
    await op('listServedEvents', () => kube.events.listServedEvents(NS, subjects));
    await op('revisions', () => kube.workloads.revisions(target));
    await op('rolloutStatus', () => kube.rollouts.rolloutStatus(target));
    await op('rolloutRestart', () => kube.rollouts.rolloutRestart(target, new Date(t.sandbox.clock.now())));
  }
  for (const target of targets) {
    await setImage(t.apps, target.kind, target.name, 'registry.example.com/next:2');
    await op('rolloutUndo', () => kube.rollouts.rolloutUndo(target));
  }
  // Diagnosis: the Services a log names and their endpoints, the references and claims pods use.
  for (const service of await op('listServices', () => kube.dependencies.listServices(NS)))
    await op('serviceEndpoints', () => kube.dependencies.serviceEndpoints(service));
  // A cluster without EndpointSlices: a Service's endpoints come from the pods it selects.
  t.sandbox.faults.add({ verb: 'list', resource: 'endpointslices', status: 404, times: 1 });
  const [mysql] = (await kube.dependencies.listServices(NS)).filter((s) => s.metadata?.name === 'mysql');
  await op('serviceEndpoints', () => kube.dependencies.serviceEndpoints(mysql));
  await op('configMapKeys', () => kube.dependencies.configMapKeys(NS, 'alldata-api-config'));
  await op('claimPhase', () => kube.dependencies.claimPhase(NS, 'data-mysql-0'));
  // The lock: taken, renewed, written to, read and given up; the storm brake's ledger, created and updated.
  const now = new Date(t.sandbox.clock.now());
  await op('acquireLease', () => kube.lock.acquireLease(NS, 'lock', 'exec-1', 60, now));
  await op('acquireLease', () => kube.lock.acquireLease(NS, 'lock', 'exec-1', 60, now));
  await op('recordRemediation', () =>
    kube.lock.recordRemediation(NS, 'lock', 'exec-1', {
      action: 'restart',
      at: now.toISOString(),
      execution: 'exec-1',
      incident: 'incident-1',
      status: 'sent',
    }),
  );
  await op('getLease', () => kube.lock.getLease(NS, 'lock'));
  await op('releaseLease', () => kube.lock.releaseLease(NS, 'lock', 'exec-1', now));
  for (const value of ['1', '2'])
    await op('updateLeaseAnnotation', () =>
      kube.lock.updateLeaseAnnotation(NS, 'ledger', 'example.com/ledger', () => ({ value, result: value })),
    );
  // Backup verification: the CronJobs that make backups, and a restore-test Job in the scratch namespace.
  // A batch target's events: a Job's pods; a CronJob's Jobs and their pods.
  await op('eventSubjects', () =>
    kube.events.eventSubjects({ namespace: NS, kind: 'Job', name: 'db-migrate' }),
  );
  await op('eventSubjects', () =>
    kube.events.eventSubjects({ namespace: NS, kind: 'CronJob', name: 'nightly-backup' }),
  );
  await op('getCronJob', () => kube.jobs.getCronJob(NS, 'nightly-backup'));
  await op('listJobs', () => kube.jobs.listJobs(NS));
  const job = await op('createJob', () =>
    kube.jobs.createJob(SCRATCH, {
      metadata: { name: 'restore-test' },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'restore', image: 'mysql:8.0.36' }] },
        },
      },
    }),
  );
  await eventually('the restore-test pod', async () =>
    (await kube.workloads.listPods(SCRATCH, job.spec!.selector!)).length ? true : undefined,
  );
  await op('getJob', () => kube.jobs.getJob(SCRATCH, 'restore-test'));
  await op('readJobLogs', () => kube.jobs.readJobLogs(job, { tailLines: 10 }));
  await op('deleteJob', () => kube.jobs.deleteJob(SCRATCH, 'restore-test'));
  for (const r of DUMP_RESOURCES) {
    await op('listPage', () => kube.dump.listPage(r.resource, undefined, { limit: 50 }));
    if (r.namespaced) await op('listPage', () => kube.dump.listPage(r.resource, NS, { limit: 50 }));
  }
  await op('listSecretKeysPage', () => kube.dump.listSecretKeysPage(NS, { limit: 50 }));
  return seen;
}

let seen: Use[];

beforeAll(async () => {
  seen = await everyOperation();
});

const key = (u: Pick<Use, 'apiGroup' | 'resource' | 'verb'>): string =>
  `${u.apiGroup || 'core'}/${u.resource} ${u.verb}`;

describe('the declared API usage (api-usage.ts)', () => {
  it('declares every request each operation made for that operation', () => {
    // Act
    const undeclared = seen.filter(
      (u) => !ALL_API_USAGE.some((d) => key(d) === key(u) && d.operations.includes(u.operation)),
    );

    // Assess
    expect([...new Set(undeclared.map((u) => `${u.operation}: ${key(u)}`))]).toEqual([]);
  });

  it('declares nothing an operation never makes', () => {
    // Prepare
    const made = new Set(seen.map((u) => `${u.operation}: ${key(u)}`));

    // Act
    const stale = ALL_API_USAGE.flatMap((d) =>
      d.operations.map((operation) => `${operation}: ${key(d)}`),
    ).filter((declared) => !made.has(declared));

    // Assess
    expect(stale).toEqual([]);
  });
});

describe('the RBAC of each step (rbac.ts)', () => {
  it.each(KUBERNETES_STEPS)(
    'grants %s every request its operations made, in the namespace it made it',
    (step) => {
      // Prepare
      const operations = new Set<KubernetesOperation>(STEP_OPERATIONS[step]);

      // Act
      const refused = seen.filter(
        (u) =>
          operations.has(u.operation) &&
          !rbacAllows(
            { apiGroup: u.apiGroup, resource: u.resource, verb: u.verb as RbacVerb, namespace: u.namespace },
            [NS],
            [SCRATCH],
            step,
          ),
      );

      // Assess
      expect(refused.map((u) => `${u.operation}: ${key(u)} in ${u.namespace ?? '(cluster)'}`)).toEqual([]);
    },
  );
});
