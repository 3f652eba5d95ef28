import type { RolloutKind, Target } from '../../../../lambdas/shared/contracts';
import { DUMP_RESOURCES, KUBERNETES_API_USAGE } from '../../../../lambdas/shared/kubernetes/api-usage';
import { rbacAllows, type RbacVerb } from '../../../../lambdas/shared/rbac';
import type { RecordedRequest } from '../../../../local/kube-sandbox/request-log';
import * as manifests from '../../../helpers/manifests';
import {
  NS,
  daemonSet,
  deployment,
  setImage,
  startKube,
  statefulSet,
  until,
  type KubeUnderTest,
} from './sandbox-kube';

// Every request the adapter makes is declared in KUBERNETES_API_USAGE, and the RBAC the
// stack grants (RBAC_RULES) allows each of them: what the sandbox saw is the evidence.
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
}

/**
 * A request for a resource type the sandbox does not serve (yet) is recorded as `discovery`;
 * RBAC still sees it as a get or list of that resource, read from the path as the API server does.
 */
function unservedUse(request: RecordedRequest, group: string): Use {
  const parts = request.path.split('?')[0].split('/').filter(Boolean);
  const rest = parts.slice(group ? 3 : 2);
  const namespace = rest[0] === 'namespaces' ? rest[1] : undefined;
  const [resource, name] = namespace ? rest.slice(2) : rest;
  return { apiGroup: group, resource, verb: name ? 'get' : 'list', namespace };
}

function useOf(request: RecordedRequest): Use {
  const group = request.path.startsWith('/apis/') ? request.path.split('/')[2] : '';
  if (request.verb === 'discovery' && request.status === 404) return unservedUse(request, group);
  return {
    apiGroup: group,
    resource: request.subresource ? `${request.resource}/${request.subresource}` : request.resource!,
    verb: request.verb,
    namespace: request.namespace,
  };
}

const key = (u: Use): string => `${u.apiGroup || 'core'}/${u.resource} ${u.verb}`;

/** Runs every operation of the port, as the Lambdas do, and returns the requests the sandbox saw. */
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
    ],
  });
  const targets: Array<Target & { kind: RolloutKind }> = [
    { namespace: NS, kind: 'Deployment', name: 'alldata-api' },
    { namespace: NS, kind: 'StatefulSet', name: 'mysql' },
    { namespace: NS, kind: 'DaemonSet', name: 'fluent-bit' },
  ];
  const kube = t.kube;
  const pod = await until('a restarted container', async () => {
    const pods = await kube.listPods(NS, { matchLabels: { app: 'alldata-api' } });
    return pods.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0);
  });
  await kube.readLog(NS, pod.metadata!.name!, 'app', { previous: true, tailLines: 5 });
  for (const target of targets) {
    const workload = await kube.getWorkload(target);
    const pods = await kube.listPods(NS, workload.object.spec!.selector!);
    await kube.getNodes(pods.map((p) => p.spec?.nodeName ?? '').filter(Boolean));
    await kube.listEvents(NS, await kube.eventSubjects(target));
    await kube.revisions(target);
    await kube.rolloutStatus(target);
    await kube.rolloutRestart(target, new Date(t.sandbox.clock.now()));
  }
  for (const target of targets) {
    await setImage(t.apps, target.kind, target.name, 'registry.example.com/next:2');
    await kube.rolloutUndo(target);
  }
  // Diagnosis: the Services a log names and their endpoints, the references and claims pods use.
  for (const service of await kube.listServices(NS)) await kube.serviceEndpoints(service);
  await kube.referenceKeys('ConfigMap', NS, 'alldata-api-config');
  await kube.referenceKeys('Secret', NS, 'alldata-db-credentials');
  await kube.claimPhase(NS, 'data-mysql-0');
  const now = new Date(t.sandbox.clock.now());
  await kube.acquireLease(NS, 'lock', 'exec-1', 60, now);
  await kube.acquireLease(NS, 'lock', 'exec-1', 60, now);
  await kube.releaseLease(NS, 'lock', 'exec-1', now);
  // Backup verification: the CronJobs that make backups, and a restore-test Job in the scratch namespace.
  await kube.getCronJob(NS, 'nightly-backup');
  await kube.listJobs(NS);
  const job = await kube.createJob(SCRATCH, {
    metadata: { name: 'restore-test' },
    spec: {
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'restore', image: 'mysql:8.0.36' }] },
      },
    },
  });
  await until('the restore-test pod', async () =>
    (await kube.listPods(SCRATCH, job.spec!.selector!)).length ? true : undefined,
  );
  await kube.getJob(SCRATCH, 'restore-test');
  await kube.readJobLogs(job, { tailLines: 10 });
  await kube.deleteJob(SCRATCH, 'restore-test');
  for (const r of DUMP_RESOURCES) {
    await kube.listPage(r.resource, undefined, { limit: 50 });
    if (r.namespaced) await kube.listPage(r.resource, NS, { limit: 50 });
  }
  return t.sandbox.requests.all().map(useOf);
}

let seen: Use[];

beforeAll(async () => {
  seen = await everyOperation();
});

describe('KUBERNETES_API_USAGE', () => {
  it('declares every request the adapter made, and nothing it never makes', () => {
    // Prepare
    const declared = new Set(KUBERNETES_API_USAGE.map(key));
    const made = new Set(seen.map(key));

    // Assess
    expect([...made].filter((k) => !declared.has(k))).toEqual([]);
    expect([...declared].filter((k) => !made.has(k))).toEqual([]);
  });
});

describe('RBAC_RULES', () => {
  it('allows every request the adapter made, in the namespace it made it', () => {
    // Act
    const refused = seen.filter(
      (u) =>
        !rbacAllows(
          { apiGroup: u.apiGroup, resource: u.resource, verb: u.verb as RbacVerb, namespace: u.namespace },
          [NS],
          [SCRATCH],
        ),
    );

    // Assess
    expect(refused.map((u) => `${key(u)} in ${u.namespace ?? '(cluster)'}`)).toEqual([]);
  });

  it('allows every declared use, cluster-wide, in the allowed namespaces or in the scratch namespaces', () => {
    // Act
    const refused = KUBERNETES_API_USAGE.filter(
      (u) =>
        !rbacAllows({ ...u, namespace: undefined }, [NS]) &&
        !rbacAllows({ ...u, namespace: NS }, [NS]) &&
        !rbacAllows({ ...u, namespace: SCRATCH }, [NS], [SCRATCH]),
    );

    // Assess
    expect(refused.map(key)).toEqual([]);
  });
});
