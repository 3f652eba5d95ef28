import type { KubeObject } from '../../../local/kube-sandbox/store';
import { diagnose } from '../../../lambdas/diagnose/diagnose';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import * as manifests from '../../support/manifests';
import { startLocalAws, type LocalAws } from '../../support/aws';
import {
  deployment,
  incident,
  NS,
  startStepSandbox,
  stepEvent,
  target,
  type StepSandbox,
} from '../step-fixtures';

// Quick Diagnostics against the sandbox over HTTP: the dependency a log line names is found in
// the cluster, its endpoints and its pods; revisions are compared; Jobs are targets.

let aws: LocalAws;
let s: StepSandbox;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

afterEach(async () => {
  await s?.sandbox.stop();
});

const INFRA = 'one-data-infra';

function deps() {
  return {
    kube: s.kube,
    evidence: new S3EvidenceStore(aws.s3, aws.bucket),
    tailLines: 100,
    limitBytes: 65536,
    now: s.now,
  };
}

/** A Service in front of a Deployment's `app` containers, on their port. */
function serviceFor(ns: string, name: string, port: number, targetPort: number | string = port): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { selector: { app: name }, ports: [{ name: 'tcp', port, targetPort }] },
  };
}

/** A Deployment whose `app` container listens on `port`. */
function listening(
  ns: string,
  name: string,
  port: number,
  behavior: manifests.TemplateOptions['behavior'],
): KubeObject {
  const d = manifests.deployment(ns, name, { replicas: 1, behavior });
  const spec = (d.spec as { template: { spec: { containers: Array<{ ports: unknown }> } } }).template.spec;
  spec.containers[0].ports = [{ containerPort: port }];
  return d;
}

const REDIS_REFUSED =
  'redis.exceptions.ConnectionError: Error 111 connecting to redis.one-data-infra:6379. Connection refused.';

describe('diagnose: dependencies', () => {
  it('makes a dependency with no ready endpoints the cause, with its own diagnosis, and waits for it', async () => {
    // Prepare: bisheng-api cannot reach Redis, whose only pod is OOMKilled.
    s = await startStepSandbox([
      manifests.namespace(INFRA),
      listening(INFRA, 'redis', 6379, { app: { mode: 'oom', runSeconds: 2 } }),
      serviceFor(INFRA, 'redis', 6379),
      deployment('bisheng-api', {
        behavior: { api: { mode: 'crash', logs: ['INFO starting bisheng-api', REDIS_REFUSED] } },
      }),
    ]);
    await s.advance(30);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('bisheng-api')) }), deps());

    // Assess
    const [top] = result.hypotheses!;
    expect(top).toMatchObject({
      ruleId: 'redis-unreachable',
      remediation: 'wait-for-dependency',
      dependency: {
        reference: 'redis.one-data-infra:6379',
        namespace: INFRA,
        service: 'redis',
        readyEndpoints: 0,
        workload: { kind: 'Deployment', name: 'redis' },
        diagnosis: expect.stringMatching(/^its pod redis-[a-z0-9]+-[a-z0-9]{5} is OOMKilled/),
      },
    });
    expect(top.cause).toContain('has 0 ready endpoints: its pod redis-');
    expect(top.fix).toContain(`kubectl get pods,endpoints -n ${INFRA}`);
    expect(result.remediation).toEqual({
      action: 'wait-for-dependency',
      confident: true,
      reason: expect.stringContaining(`${INFRA}/redis`),
      dependency: { namespace: INFRA, service: 'redis' },
    });
    expect(result.probableCause?.ruleId).toBe('redis-unreachable');
  });

  it("reads a crash-looping dependency's last log line as its own diagnosis, for an init container that waits on it", async () => {
    // Prepare: the app's init container waits for PostgreSQL, whose disk is full.
    const app = deployment('orders-api');
    const spec = (app.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    spec.initContainers = [{ name: 'wait-db', image: 'postgres:16' }];
    const meta = (app.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template
      .metadata;
    meta.annotations = {
      'sandbox.eks-incident.dev/behavior': JSON.stringify({
        'wait-db': {
          mode: 'crash',
          runSeconds: 2,
          logs: [
            'psql: error: connection to server at "postgres.one-data-infra" (10.100.2.2), port 5432 failed: Connection refused',
            '\tIs the server running on that host and accepting TCP/IP connections?',
          ],
        },
      }),
    };
    s = await startStepSandbox([
      manifests.namespace(INFRA),
      listening(INFRA, 'postgres', 5432, {
        app: {
          mode: 'crash',
          runSeconds: 2,
          logs: ['PANIC:  could not write to file "pg_wal/xlogtemp.31": No space left on device'],
        },
      }),
      serviceFor(INFRA, 'postgres', 5432),
      app,
    ]);
    await s.advance(40);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('orders-api')) }), deps());

    // Assess
    const [top] = result.hypotheses!;
    expect(top).toMatchObject({ ruleId: 'dependency-down', remediation: 'wait-for-dependency' });
    expect(top.evidence[0]).toMatch(
      /^orders-api-[a-z0-9]+-[a-z0-9]{5}\/wait-db \(init\) \(previous\): psql: error: connection to server at "postgres.one-data-infra"/,
    );
    expect(top.dependency?.diagnosis).toMatch(
      /^its pod postgres-[a-z0-9]+-[a-z0-9]{5} (is in CrashLoopBackOff|keeps restarting) \(container app.*\): disk-full: PANIC: {2}could not write to file "pg_wal\/xlogtemp.31": No space left on device$/,
    );
    expect(top.cause).toContain('disk-full: PANIC:');
  });

  it('restarts when the dependency that refused is ready now', async () => {
    // Prepare: Redis is healthy; the app crashed while it was not.
    s = await startStepSandbox([
      manifests.namespace(INFRA),
      listening(INFRA, 'redis', 6379, { app: { mode: 'healthy' } }),
      serviceFor(INFRA, 'redis', 6379),
      deployment('bisheng-api', { behavior: { api: { mode: 'crash', logs: [REDIS_REFUSED] } } }),
    ]);
    await s.advance(30);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('bisheng-api')) }), deps());

    // Assess
    expect(result.hypotheses![0]).toMatchObject({
      ruleId: 'redis-unreachable',
      remediation: 'restart',
      dependency: { service: 'redis', readyEndpoints: 1 },
    });
    expect(result.remediation?.action).toBe('restart');
  });

  it('resolves a dependency named only in the env (DB_HOST) and a ClusterIP in a line', async () => {
    // Prepare: the log names no host; DB_HOST names the MySQL Service, which has no pods at all.
    s = await startStepSandbox([
      manifests.namespace(INFRA),
      serviceFor(INFRA, 'mysql', 3306),
      deployment('alldata-api', {
        env: [{ name: 'DB_HOST', value: 'mysql.one-data-infra.svc.cluster.local' }],
        behavior: {
          api: {
            mode: 'crash',
            logs: [`pymysql.err.OperationalError: (2003, "Can't connect to MySQL server (111)")`],
          },
        },
      }),
    ]);
    await s.advance(30);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('alldata-api')) }), deps());

    // Assess
    const dependency = result.hypotheses!.find((h) => h.dependency)?.dependency;
    expect(dependency).toMatchObject({
      reference: 'mysql.one-data-infra.svc.cluster.local',
      namespace: INFRA,
      service: 'mysql',
      readyEndpoints: 0,
      diagnosis: 'its selector matches no pods (scaled to zero or deleted)',
    });
  });

  it("finds a Service whose targetPort matches no container port of the target's pods", async () => {
    // Prepare: the app listens on 8080, its Service sends traffic to 8000.
    s = await startStepSandbox([
      deployment('alldata-api', { behavior: { api: { mode: 'not-ready' } } }),
      serviceFor(NS, 'alldata-api', 80, 8000),
    ]);
    await s.advance(10);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('alldata-api')) }), deps());

    // Assess
    const mismatch = result.hypotheses!.find((h) => h.ruleId === 'service-port-mismatch');
    expect(mismatch).toMatchObject({
      cause:
        'Service alldata-api sends traffic to port 8000, which no container of alldata-api exposes (502 / connection refused through the Service).',
      evidence: ['Service alldata-api port 80 targets 8000, which no container of its pods exposes'],
      remediation: 'none',
    });
  });
});

describe('diagnose: revisions', () => {
  it('names a bad release when the current revision fails and the previous one was healthy, and rolls back', async () => {
    // Prepare: revision 1 healthy; revision 2 panics at startup, its rollout stuck with revision 1 serving.
    s = await startStepSandbox([deployment('agent-api')]);
    await s.advance(5);
    await s.deploy('agent-api', {
      image: 'registry.example.com/one-data/agent-api:2.6.0',
      behavior: {
        api: {
          mode: 'crash',
          exitCode: 2,
          logs: ['panic: runtime error: invalid memory address or nil pointer dereference'],
        },
      },
    });
    await s.advance(30);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('agent-api')) }), deps());

    // Assess
    expect(result.hypotheses![0]).toMatchObject({
      ruleId: 'bad-release',
      cause: 'Revision 2 of agent-api fails while revision 1 was healthy: a bad release.',
      remediation: 'rollback',
    });
    expect(result.hypotheses![0].evidence[0]).toMatch(
      /^revision 2 has 0\/\d pods ready and \d+ restarts; revision 1 was healthy/,
    );
    expect(result.remediation).toMatchObject({ action: 'rollback', confident: true });
  });

  it('does not call it a release problem when every revision fails', async () => {
    // Prepare: OOMKilled before and after the change.
    const oom = { api: { mode: 'oom' as const, runSeconds: 2 } };
    s = await startStepSandbox([deployment('bisheng-api', { behavior: oom })]);
    await s.advance(5);
    await s.deploy('bisheng-api', {
      image: 'registry.example.com/one-data/bisheng-api:0.3.1',
      behavior: oom,
    });
    await s.advance(30);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('bisheng-api')) }), deps());

    // Assess
    expect(result.hypotheses!.map((h) => h.ruleId)).not.toContain('bad-release');
    expect(result.hypotheses![0]).toMatchObject({ ruleId: 'oom-killed', remediation: 'none' });
    expect(result.remediation?.action).toBe('none');
  });
});

describe('diagnose: Jobs', () => {
  it('diagnoses a failed Job from its pods and never asks for a restart', async () => {
    // Prepare: a training Job that cannot reach MinIO.
    const job = manifests.job(NS, 'training-llm-20260101');
    const template = (job.spec as { template: { metadata: { annotations: Record<string, string> } } })
      .template;
    template.metadata.annotations['sandbox.eks-incident.dev/behavior'] = JSON.stringify({
      app: {
        mode: 'crash',
        runSeconds: 2,
        logs: [
          'botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "http://minio.one-data-infra:9000/datasets"',
        ],
      },
    });
    (job.spec as { backoffLimit: number }).backoffLimit = 1;
    s = await startStepSandbox([job]);
    await s.advance(60);

    // Act
    const result = await diagnose(
      stepEvent({ incident: incident(target('training-llm-20260101', 'Job')) }),
      deps(),
    );

    // Assess
    expect(result.workload).toMatchObject({ kind: 'Job', name: 'training-llm-20260101', revision: 0 });
    expect(result.pods.length).toBeGreaterThan(0);
    expect(result.hypotheses![0]).toMatchObject({ ruleId: 'minio-unreachable', remediation: 'none' });
    expect(result.hypotheses![0].fix).toContain('recreate Job training-llm-20260101 from its manifest');
    expect(result.hypotheses!.map((h) => h.ruleId)).toContain('job-failed');
    expect(result.remediation?.action).toBe('none');
  });
});
