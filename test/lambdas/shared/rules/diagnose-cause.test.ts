import { diagnoseCause, type CauseEvidence } from '../../../../lambdas/shared/rules/diagnose-cause';

type Container = CauseEvidence['containers'][number];

function crashing(overrides: Partial<Container> = {}): Container {
  return {
    pod: 'alldata-api-7d9f8b6c5-x2x9k',
    container: 'api',
    running: false,
    ready: false,
    waitingReason: 'CrashLoopBackOff',
    waitingMessage:
      'back-off 40s restarting failed container=api pod=alldata-api-7d9f8b6c5-x2x9k_one-data-alldata(4c1e...)',
    terminationReason: 'Error',
    exitCode: 1,
    ...overrides,
  };
}

function evidence(overrides: Partial<CauseEvidence> = {}): CauseEvidence {
  return { containers: [crashing()], podConditions: [], logs: [], ...overrides };
}

function previousLog(text: string) {
  return [{ pod: 'alldata-api-7d9f8b6c5-x2x9k', container: 'api', previous: true, text }];
}

describe('diagnoseCause', () => {
  // Log lines as the applications print them (SQLAlchemy/PyMySQL, pymilvus, redis-py, vLLM, Node, Go).
  const logCases: Array<[string, string]> = [
    [
      'mysql-unreachable',
      `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra.svc.cluster.local' ([Errno 111] Connection refused)")`,
    ],
    [
      'mysql-access-denied',
      `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, "Access denied for user 'alldata'@'10.0.3.17' (using password: YES)")`,
    ],
    [
      'mysql-table-missing',
      `sqlalchemy.exc.ProgrammingError: (pymysql.err.ProgrammingError) (1146, "Table 'alldata.datasets' doesn't exist")`,
    ],
    ['mysql-disk-full', 'ERROR 1114 (HY000) at line 1: The table `audit_log` is full'],
    [
      'milvus-unreachable',
      'pymilvus.exceptions.MilvusException: <MilvusException: (code=2, message=Fail connecting to server on milvus-proxy.one-data-infra:19530, illegal connection params or server unavailable)>',
    ],
    [
      'milvus-collection-missing',
      'pymilvus.exceptions.SchemaNotReadyException: <SchemaNotReadyException: (code=1, message=Collection not found: knowledge_base)>',
    ],
    [
      'redis-unreachable',
      'redis.exceptions.ConnectionError: Error 111 connecting to redis-master.one-data-infra:6379. Connection refused.',
    ],
    [
      'gpu-out-of-memory',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total capacity)',
    ],
    ['cuda-unavailable', 'RuntimeError: Found no NVIDIA driver on your system. CUDA not available'],
    ['disk-full', "OSError: [Errno 28] No space left on device: '/data/uploads/tmp-3f9a'"],
    ['port-in-use', 'Error: listen EADDRINUSE: address already in use :::8080'],
    ['dns-resolution', 'Error: getaddrinfo ENOTFOUND otel-collector.otlp-system.svc.cluster.local'],
    ['connection-refused', 'dial tcp 10.100.23.7:4317: connect: connection refused'],
    ['connection-timeout', 'upstream connect error: dial tcp 10.100.23.7:9000: i/o timeout'],
    ['data-corrupted', 'ERROR aikv: Error: Corrupted data file /data/aikv/000123.sst'],
  ];

  it.each(logCases)('finds %s in a previous container log', (ruleId, line) => {
    // Prepare
    const found = evidence({
      logs: previousLog(`2026-01-01T00:00:01Z INFO starting\n${line}\n2026-01-01T00:00:02Z INFO exiting`),
    });

    // Act
    const cause = diagnoseCause(found);

    // Assess
    expect(cause?.ruleId).toBe(ruleId);
    expect(cause?.evidence).toBe(`alldata-api-7d9f8b6c5-x2x9k/api (previous): ${line}`);
  });

  it('prefers the named dependency to the generic connection error on the same line', () => {
    // Prepare: the MySQL line also says "Connection refused".
    const found = evidence({
      logs: previousLog(
        `(2003, "Can't connect to MySQL server on 'mysql' ([Errno 111] Connection refused)")`,
      ),
    });

    // Act
    const cause = diagnoseCause(found);

    // Assess
    expect(cause).toEqual({
      ruleId: 'mysql-unreachable',
      cause: 'MySQL is not ready or not reachable (MySQL 未就绪).',
      suggestedFix: expect.stringContaining(
        'once the database is up, a rollout restart recovers the workload',
      ),
      runbook: 'one-data-studio-kubernetes-troubleshooting.md § 服务启动问题 / Alldata API 启动失败',
      evidence: `alldata-api-7d9f8b6c5-x2x9k/api (previous): (2003, "Can't connect to MySQL server on 'mysql' ([Errno 111] Connection refused)")`,
    });
  });

  it('names OOMKilled over whatever the log says', () => {
    // Prepare
    const found = evidence({
      containers: [crashing({ terminationReason: 'OOMKilled', exitCode: 137 })],
      logs: previousLog('dial tcp 10.0.0.1:6379: connect: connection refused'),
    });

    // Act
    const cause = diagnoseCause(found);

    // Assess
    expect(cause?.ruleId).toBe('oom-killed');
    expect(cause?.evidence).toBe(
      'alldata-api-7d9f8b6c5-x2x9k/api last terminated: OOMKilled (exit code 137)',
    );
  });

  it.each([
    [
      'ImagePullBackOff',
      'image-pull-failure',
      'Back-off pulling image "registry.example.com/alldata-api:1.4.3-typo"',
    ],
    [
      'ErrImagePull',
      'image-pull-failure',
      'rpc error: code = NotFound desc = failed to pull and unpack image',
    ],
    [
      'CreateContainerConfigError',
      'container-config-error',
      "couldn't find key DB_PASSWORD in Secret one-data-alldata/alldata-db-credentials",
    ],
  ])('maps the waiting reason %s to %s', (waitingReason, ruleId, waitingMessage) => {
    // Prepare
    const found = evidence({
      containers: [
        crashing({ waitingReason, waitingMessage, terminationReason: undefined, exitCode: undefined }),
      ],
    });

    // Act
    const cause = diagnoseCause(found);

    // Assess
    expect(cause?.ruleId).toBe(ruleId);
    expect(cause?.evidence).toBe(
      `alldata-api-7d9f8b6c5-x2x9k/api waiting: ${waitingReason}: ${waitingMessage}`,
    );
  });

  it('finds an unschedulable pod from its PodScheduled condition', () => {
    // Prepare
    const message =
      '0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available.';
    const found = evidence({
      containers: [],
      podConditions: [
        { pod: 'vllm-serving-0', type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message },
      ],
    });

    // Act
    const cause = diagnoseCause(found);

    // Assess
    expect(cause?.ruleId).toBe('unschedulable');
    expect(cause?.evidence).toBe(`vllm-serving-0: PodScheduled=False Unschedulable: ${message}`);
  });

  it.each([
    [137, 'sigkill'],
    [143, 'sigterm'],
  ])('explains exit code %i when the log says nothing known', (exitCode, ruleId) => {
    // Prepare
    const found = evidence({ containers: [crashing({ exitCode })], logs: previousLog('INFO shutting down') });

    // Act
    const cause = diagnoseCause(found);

    // Assess
    expect(cause?.ruleId).toBe(ruleId);
  });

  it('falls back to CrashLoopBackOff', () => {
    // Act
    const cause = diagnoseCause(evidence({ logs: previousLog('panic: unexpected nil config') }));

    // Assess
    expect(cause?.ruleId).toBe('crash-loop');
    expect(cause?.evidence).toContain(
      'waiting: CrashLoopBackOff: back-off 40s restarting failed container=api',
    );
  });

  it('reports a running container whose readiness probe fails', () => {
    // Prepare
    const found = evidence({
      containers: [crashing({ running: true, waitingReason: undefined, terminationReason: undefined })],
    });

    // Act
    const cause = diagnoseCause(found);

    // Assess
    expect(cause?.ruleId).toBe('readiness-failing');
  });

  it('finds nothing in a healthy workload', () => {
    // Prepare
    const healthy = evidence({
      containers: [
        crashing({ running: true, ready: true, waitingReason: undefined, terminationReason: undefined }),
      ],
      logs: [{ pod: 'p', container: 'api', previous: false, text: 'INFO GET /api/v1/health 200 2ms' }],
    });

    // Act
    const cause = diagnoseCause(healthy);

    // Assess
    expect(cause).toBeUndefined();
  });

  it('redacts the matched line', () => {
    // Prepare
    const line = `Can't connect to MySQL server: mysql://alldata:Zx9kq2Lr@mysql:3306/alldata`;

    // Act
    const cause = diagnoseCause(evidence({ logs: previousLog(line) }));

    // Assess
    expect(cause?.evidence).toContain('mysql://alldata:[REDACTED]@mysql:3306/alldata');
    expect(cause?.evidence).not.toContain('Zx9kq2Lr');
  });
});
