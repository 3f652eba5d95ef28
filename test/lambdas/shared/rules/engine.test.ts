import {
  emptyEvidence,
  type ContainerEvidence,
  type DiagnosisEvidence,
} from '../../../../lambdas/shared/diagnosis/evidence';
import { diagnoseEvidence } from '../../../../lambdas/shared/rules/diagnose-cause';

const POD = 'bisheng-api-7c9d8-q2x7p';

/** A crash-looping container of one-data-bisheng/bisheng-api whose previous log is `lines`. */
function crashing(lines: string[], overrides: Partial<DiagnosisEvidence> = {}): DiagnosisEvidence {
  return {
    ...emptyEvidence({ namespace: 'one-data-bisheng', kind: 'Deployment', name: 'bisheng-api' }),
    containers: [
      {
        pod: POD,
        container: 'api',
        init: false,
        running: false,
        ready: false,
        restartCount: 4,
        waitingReason: 'CrashLoopBackOff',
        termination: { reason: 'Error', exitCode: 1 },
      },
    ],
    logs: [{ pod: POD, container: 'api', previous: true, text: lines.join('\n') }],
    ...overrides,
  };
}

describe('evaluateRules ranking', () => {
  it('lets the last error before the exit outweigh an older one', () => {
    // Prepare: Redis refused once (retried), then the database refused the credentials and the app exited.
    const evidence = crashing([
      'WARNING redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.',
      'INFO retrying in 2s',
      `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, "Access denied for user 'bisheng'@'10.0.3.9' (using password: YES)")`,
    ]);

    // Act
    const { hypotheses } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('mysql-access-denied');
    const redis = hypotheses.find((h) => h.ruleId === 'redis-unreachable');
    expect(redis!.confidence).toBeLessThan(hypotheses[0].confidence);
  });

  it('ranks the root cause above the "startup failed" and the traceback that follow it', () => {
    // Prepare
    const evidence = crashing([
      'Traceback (most recent call last):',
      'redis.exceptions.ConnectionError: Error 111 connecting to redis-master.one-data-infra:6379. Connection refused.',
      'ERROR:    Application startup failed. Exiting.',
    ]);

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('redis-unreachable');
    expect(hypotheses[0].evidence[0]).toBe(
      `${POD}/api (previous): redis.exceptions.ConnectionError: Error 111 connecting to redis-master.one-data-infra:6379. Connection refused.`,
    );
    // Nothing resolved in a cluster: a restart is what is left to try.
    expect(remediation).toMatchObject({ action: 'restart', confident: true });
  });

  it('makes a down dependency the cause and waits for it', () => {
    // Prepare
    const evidence = crashing(['Error: connect ECONNREFUSED 10.100.7.21:6379'], {
      dependencies: [
        {
          reference: '10.100.7.21:6379',
          namespace: 'one-data-infra',
          service: 'redis',
          readyEndpoints: 0,
          state: 'down',
          port: 6379,
          workload: { kind: 'Deployment', name: 'redis' },
          diagnosis: 'its pod redis-5d4f7-abcde is OOMKilled (container redis)',
        },
      ],
    });

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0]).toMatchObject({
      ruleId: 'redis-unreachable',
      remediation: 'wait-for-dependency',
      dependency: { namespace: 'one-data-infra', service: 'redis', readyEndpoints: 0 },
    });
    expect(hypotheses[0].cause).toContain('its pod redis-5d4f7-abcde is OOMKilled');
    expect(hypotheses[0].fix).toContain('one-data-infra/redis');
    expect(remediation).toEqual({
      action: 'wait-for-dependency',
      confident: true,
      reason: expect.stringContaining('one-data-infra/redis'),
      dependency: { namespace: 'one-data-infra', service: 'redis' },
    });
  });

  it('restarts when the dependency that refused is ready again', () => {
    // Prepare
    const evidence = crashing([`(2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`], {
      dependencies: [
        {
          reference: 'mysql.one-data-infra',
          namespace: 'one-data-infra',
          service: 'mysql',
          readyEndpoints: 1,
          state: 'up',
        },
      ],
    });

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('mysql-unreachable');
    expect(remediation.action).toBe('restart');
    expect(hypotheses[0].cause).toContain('mysql has ready endpoints now');
  });

  it('rolls back when the current revision fails and the previous one was healthy', () => {
    // Prepare
    const evidence = crashing(['panic: runtime error: invalid memory address or nil pointer dereference'], {
      revisions: [
        {
          revision: 3,
          current: false,
          pods: 2,
          readyPods: 2,
          restarts: 0,
          healthy: true,
          images: ['api=bisheng:1.4'],
        },
        {
          revision: 4,
          current: true,
          pods: 1,
          readyPods: 0,
          restarts: 4,
          healthy: false,
          images: ['api=bisheng:1.5'],
        },
      ],
    });

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('bad-release');
    expect(hypotheses[0].fix).toContain(
      'kubectl rollout undo Deployment/bisheng-api -n one-data-bisheng --to-revision=3',
    );
    expect(remediation).toMatchObject({ action: 'rollback', confident: true });
  });

  it('keeps a specific cause but rolls back when the release brought it', () => {
    // Prepare: the new revision's image lost a binary.
    const evidence = crashing(['exec /app/bisheng: no such file or directory'], {
      revisions: [
        { revision: 1, current: false, pods: 1, readyPods: 1, restarts: 0, healthy: true, images: [] },
        { revision: 2, current: true, pods: 1, readyPods: 0, restarts: 4, healthy: false, images: [] },
      ],
    });

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('missing-executable');
    expect(hypotheses[0].remediation).toBe('rollback');
    expect(remediation.action).toBe('rollback');
  });

  it('is unsure, and does not act, when only CrashLoopBackOff is known', () => {
    // Act
    const { hypotheses, remediation } = diagnoseEvidence(crashing(['starting worker 1', 'worker 1 stopped']));

    // Assess
    expect(hypotheses[0].ruleId).toBe('crash-loop');
    expect(remediation).toMatchObject({ action: 'none', confident: false });
  });

  it('never restarts a Job: a transient cause gets a rerun fix instead', () => {
    // Prepare
    const evidence: DiagnosisEvidence = {
      ...crashing([
        `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`,
      ]),
      target: { namespace: 'one-data-infra', kind: 'Job', name: 'mysql-backup-29419200' },
      workload: {
        replicas: 1,
        readyReplicas: 0,
        failedReason: 'BackoffLimitExceeded',
        cronJob: 'mysql-backup',
      },
    };

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('mysql-unreachable');
    expect(hypotheses[0].remediation).toBe('none');
    expect(hypotheses[0].fix).toContain(
      'kubectl create job --from=cronjob/mysql-backup mysql-backup-rerun -n one-data-infra',
    );
    expect(remediation.action).toBe('none');
  });

  it('writes the fix with the incident’s own names, never the runbook’s example namespace', () => {
    // Prepare
    const evidence: DiagnosisEvidence = {
      ...emptyEvidence({ namespace: 'payments', kind: 'StatefulSet', name: 'ledger' }),
      containers: [
        {
          pod: 'ledger-0',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 0,
          waitingReason: 'CreateContainerConfigError',
          waitingMessage: "couldn't find key LEDGER_DB_PASSWORD in Secret payments/ledger-db",
        },
      ],
    };

    // Act
    const [top] = diagnoseEvidence(evidence).hypotheses;

    // Assess
    expect(top.ruleId).toBe('container-config-error');
    expect(top.fix).toContain('Secret ledger-db / key LEDGER_DB_PASSWORD in namespace payments');
    expect(top.fix).toContain('StatefulSet ledger');
    expect(`${top.cause} ${top.fix}`).not.toMatch(/one-data/);
  });

  it('reads a ReplicaSet that cannot create pods (quota) and ignores events of pods that are healthy now', () => {
    // Prepare
    const evidence: DiagnosisEvidence = {
      ...emptyEvidence({ namespace: 'payments', kind: 'Deployment', name: 'ledger' }),
      containers: [
        {
          pod: 'ledger-6c9f-abcde',
          container: 'app',
          init: false,
          running: true,
          ready: true,
          restartCount: 0,
        },
      ],
      events: [
        {
          kind: 'Pod',
          name: 'ledger-6c9f-abcde',
          type: 'Warning',
          reason: 'FailedScheduling',
          message: '0/3 nodes are available: 3 Insufficient cpu.',
          count: 2,
        },
        {
          kind: 'ReplicaSet',
          name: 'ledger-6c9f',
          type: 'Warning',
          reason: 'FailedCreate',
          message:
            'Error creating: pods "ledger-6c9f-x7k2p" is forbidden: exceeded quota: compute, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi',
          count: 9,
        },
      ],
    };

    // Act
    const { hypotheses } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses.map((h) => h.ruleId)).toEqual(['failed-create']);
    expect(hypotheses[0].evidence[0]).toContain('ReplicaSet/ledger-6c9f FailedCreate (x9): Error creating');
    expect(hypotheses[0].fix).toContain('kubectl describe quota,limitrange -n payments');
  });

  it('takes the dependency an env address pointed at when the line names none of its own', () => {
    // Prepare: "Redis connection refused" names no host; REDIS_HOST resolved to a down Service.
    const evidence = crashing(['ERROR Redis connection refused, giving up'], {
      dependencies: [
        {
          reference: 'redis-master.cache',
          namespace: 'cache',
          service: 'redis-master',
          readyEndpoints: 0,
          state: 'down',
          diagnosis: 'its selector matches no pods (scaled to zero or deleted)',
        },
      ],
    });

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0]).toMatchObject({
      ruleId: 'redis-unreachable',
      dependency: { namespace: 'cache', service: 'redis-master' },
    });
    expect(remediation).toMatchObject({
      action: 'wait-for-dependency',
      dependency: { namespace: 'cache', service: 'redis-master' },
    });
  });
});

describe('a workload with nothing wrong now', () => {
  const container = (
    pod: string,
    revision: number,
    overrides: Partial<ContainerEvidence> = {},
  ): ContainerEvidence => ({
    pod,
    container: 'api',
    init: false,
    revision,
    running: true,
    ready: true,
    restartCount: 0,
    ...overrides,
  });
  const revisions = (current: number) =>
    Array.from({ length: current }, (_, i) => ({
      revision: i + 1,
      current: i + 1 === current,
      pods: 0,
      readyPods: 0,
      restarts: 0,
      images: [],
    }));
  const base = emptyEvidence({ namespace: 'one-data-bisheng', kind: 'Deployment', name: 'bisheng-api' });

  it('is healthy: every pod ready, nothing restarted, so the health read decides and nothing is written', () => {
    // Prepare: the restart of an earlier incident worked; the alert about it arrives late.
    const evidence: DiagnosisEvidence = {
      ...base,
      containers: [container('bisheng-api-7d-a', 2), container('bisheng-api-7d-b', 2)],
      revisions: revisions(2),
      workload: { replicas: 2, readyReplicas: 2 },
    };

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0]).toMatchObject({ ruleId: 'healthy-now', remediation: 'restart' });
    expect(hypotheses[0].cause).toContain('bisheng-api is healthy now');
    expect(remediation).toMatchObject({ action: 'restart', confident: true });
    expect(remediation.reason).toContain('the health read right before any write is expected to confirm it');
  });

  it('is progressing: the new revision starts cleanly while the crashed pods of the old one are replaced', () => {
    // Prepare
    const evidence: DiagnosisEvidence = {
      ...base,
      containers: [
        container('bisheng-api-6c-a', 1, {
          running: false,
          ready: false,
          restartCount: 5,
          waitingReason: 'CrashLoopBackOff',
          termination: { reason: 'Error', exitCode: 1 },
        }),
        container('bisheng-api-7d-a', 2, { ready: false }),
        container('bisheng-api-7d-b', 2, {
          running: false,
          ready: false,
          waitingReason: 'ContainerCreating',
        }),
      ],
      revisions: revisions(2),
      workload: { replicas: 2, readyReplicas: 0 },
    };

    // Act
    const { hypotheses } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('healthy-now');
    expect(hypotheses[0].cause).toContain('bisheng-api is progressing now');
    expect(hypotheses.map((h) => h.ruleId)).toContain('crash-loop');
  });

  it.each([
    [
      'a new revision whose pod already restarted',
      { restartCount: 1, termination: { reason: 'Error', exitCode: 1 } },
    ],
    ['a new revision whose pod cannot pull its image', { running: false, waitingReason: 'ImagePullBackOff' }],
  ])('is not progressing with %s', (_name, newPod) => {
    // Prepare
    const evidence: DiagnosisEvidence = {
      ...base,
      containers: [
        container('bisheng-api-6c-a', 1),
        container('bisheng-api-7d-a', 2, { ready: false, ...newPod }),
      ],
      revisions: revisions(2),
      workload: { replicas: 1, readyReplicas: 1 },
    };

    // Act
    const { hypotheses } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses.map((h) => h.ruleId)).not.toContain('healthy-now');
  });

  it('is not progressing when a single revision never gets ready (no rollout replaces anything)', () => {
    // Prepare
    const evidence: DiagnosisEvidence = {
      ...base,
      containers: [container('bisheng-api-6c-a', 1, { ready: false })],
      revisions: revisions(1),
      workload: { replicas: 1, readyReplicas: 0 },
    };

    // Act
    const { hypotheses } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses.map((h) => h.ruleId)).not.toContain('healthy-now');
  });
});

describe('a workload whose pods are all Ready', () => {
  const ready: ContainerEvidence = {
    pod: 'alldata-api-5d-a',
    container: 'api',
    init: false,
    running: true,
    ready: true,
    restartCount: 0,
  };
  const base = {
    ...emptyEvidence({ namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' }),
    containers: [ready],
    workload: { replicas: 1, readyReplicas: 1 },
  };

  it('is not healthy when its Service sends traffic to a port no container exposes', () => {
    // Act
    const { hypotheses } = diagnoseEvidence({
      ...base,
      services: [
        { name: 'alldata-api', readyEndpoints: 1, unmatchedPorts: [{ port: 80, targetPort: 8000 }] },
      ],
    });

    // Assess
    expect(hypotheses[0].ruleId).toBe('service-port-mismatch');
  });

  it('reads the failures its running containers log when none of them fails', () => {
    // Prepare: slow, not down: the pool is exhausted while the pods stay Ready.
    const evidence: DiagnosisEvidence = {
      ...base,
      logs: [
        {
          pod: 'alldata-api-5d-a',
          container: 'api',
          previous: false,
          text: 'sqlalchemy.exc.TimeoutError: QueuePool limit of size 20 overflow 10 reached, connection timed out, timeout 30.00',
        },
      ],
    };

    // Act
    const { hypotheses, remediation } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses[0].ruleId).toBe('connection-pool-exhausted');
    expect(hypotheses.map((h) => h.ruleId)).not.toContain('healthy-now');
    expect(remediation.action).toBe('none');
  });
});

describe('a workload coming up', () => {
  it('is not progressing while the pods of every revision merely start (nothing established to replace)', () => {
    // Prepare: both revisions' pods just started, none ready yet, none restarted.
    const starting = (pod: string, revision: number): ContainerEvidence => ({
      pod,
      container: 'api',
      init: false,
      revision,
      running: true,
      ready: false,
      restartCount: 0,
    });
    const evidence: DiagnosisEvidence = {
      ...emptyEvidence({ namespace: 'one-data-bisheng', kind: 'Deployment', name: 'bisheng-api' }),
      containers: [starting('bisheng-api-6c-a', 1), starting('bisheng-api-7d-a', 2)],
      revisions: [
        { revision: 1, current: false, pods: 1, readyPods: 0, restarts: 0, images: [] },
        { revision: 2, current: true, pods: 1, readyPods: 0, restarts: 0, images: [] },
      ],
      workload: { replicas: 2, readyReplicas: 0 },
    };

    // Act
    const { hypotheses } = diagnoseEvidence(evidence);

    // Assess
    expect(hypotheses.map((h) => h.ruleId)).not.toContain('healthy-now');
  });
});

describe('a client that says "Redis" to a Redis-compatible store', () => {
  const store = (service: string, image: string) => ({
    reference: `${service}.cache:6379`,
    namespace: 'cache',
    service,
    readyEndpoints: 1,
    state: 'up' as const,
    images: [image],
  });
  const refused = (service: string) =>
    crashing([`Could not connect to Redis at ${service}.cache:6379: Connection refused`], {
      dependencies: [
        store(service, service === 'aikv' ? 'registry.example.com/aikv/aikv:0.3.1' : 'redis:7.2.4'),
      ],
    });

  it('is about the store the cluster runs: a Ready AiKv that refuses is not "Redis is not running"', () => {
    // Act
    const { hypotheses, remediation } = diagnoseEvidence(refused('aikv'));

    // Assess
    expect(hypotheses[0].ruleId).toBe('dependency-refuses-while-ready');
    expect(hypotheses.map((h) => h.ruleId)).not.toContain('redis-unreachable');
    expect(remediation.action).toBe('restart');
  });

  it('keeps the Redis rule for a Service that runs Redis (it came up after the client gave up)', () => {
    // Act
    const { hypotheses } = diagnoseEvidence(refused('sessions'));

    // Assess
    expect(hypotheses[0].ruleId).toBe('redis-unreachable');
  });
});
