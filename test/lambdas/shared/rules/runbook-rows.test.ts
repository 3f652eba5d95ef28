import { emptyEvidence, type DiagnosisEvidence } from '../../../../lambdas/shared/diagnosis/evidence';
import { diagnoseEvidence } from '../../../../lambdas/shared/rules/diagnose-cause';

const T = { namespace: 'prod-data', kind: 'Deployment', name: 'orders-api' };
function crash(lines: string[], exitCode = 1, extra: Partial<DiagnosisEvidence> = {}): DiagnosisEvidence {
  return {
    ...emptyEvidence(T),
    containers: [
      {
        pod: 'orders-api-5f6d7-abcde',
        container: 'app',
        init: false,
        running: false,
        ready: false,
        restartCount: 5,
        waitingReason: 'CrashLoopBackOff',
        termination: { reason: exitCode === 137 ? 'Error' : 'Error', exitCode },
      },
    ],
    logs: [
      {
        pod: 'orders-api-5f6d7-abcde',
        container: 'app',
        previous: true,
        text: ['2026-01-01T02:00:00Z INFO starting orders-api 3.2.1', ...lines].join('\n'),
      },
    ],
    ...extra,
  };
}
function running(lines: string[], extra: Partial<DiagnosisEvidence> = {}): DiagnosisEvidence {
  return {
    ...emptyEvidence(T),
    containers: [
      {
        pod: 'orders-api-5f6d7-abcde',
        container: 'app',
        init: false,
        running: true,
        ready: false,
        restartCount: 0,
      },
    ],
    logs: [{ pod: 'orders-api-5f6d7-abcde', container: 'app', previous: false, text: lines.join('\n') }],
    ...extra,
  };
}
const down = (
  svc: string,
  ns = 'prod-infra',
  diag = `its pod ${svc}-0 is in CrashLoopBackOff (container ${svc}, last exit code 1)`,
) => ({
  reference: `${svc}.${ns}`,
  namespace: ns,
  service: svc,
  readyEndpoints: 0,
  state: 'down' as const,
  diagnosis: diag,
});

/** Runbook row → evidence as a cluster would show it (the software's own wording) → acceptable top rules. */
const rows: Array<[string, DiagnosisEvidence, string[]]> = [
  [
    'k8s alldata mysql not ready',
    crash([
      `sqlalchemy.exc.OperationalError: (MySQLdb.OperationalError) (2002, "Can't connect to server on 'mysql.prod-infra' (115)")`,
      'ERROR:    Application startup failed. Exiting.',
    ]),
    ['mysql-unreachable'],
  ],
  [
    'k8s alldata mysql not ready (java)',
    crash(
      [
        'com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure',
        '',
        'The last packet sent successfully to the server was 0 milliseconds ago. The driver has not received any packets from the server.',
        'Caused by: java.net.ConnectException: Connection refused',
      ],
      1,
    ),
    ['mysql-unreachable'],
  ],
  [
    'k8s alldata mysql dep down',
    crash(
      [
        `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.prod-infra' ([Errno 111] Connection refused)")`,
      ],
      1,
      { dependencies: [down('mysql')] },
    ),
    ['mysql-unreachable', 'dependency-down'],
  ],
  [
    'k8s access denied',
    crash([
      `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, "Access denied for user 'orders'@'10.1.2.3' (using password: YES)")`,
    ]),
    ['mysql-access-denied'],
  ],
  [
    'k8s access denied (node)',
    crash([
      `Error: Access denied for user 'orders'@'10.1.2.3' (using password: YES)`,
      '    at Packet.asError (/app/node_modules/mysql2/lib/packets/packet.js:728:17)',
      "  code: 'ER_ACCESS_DENIED_ERROR',",
    ]),
    ['mysql-access-denied'],
  ],
  [
    'k8s table missing',
    crash([
      `sqlalchemy.exc.ProgrammingError: (pymysql.err.ProgrammingError) (1146, "Table 'orders.order_items' doesn't exist")`,
    ]),
    ['mysql-table-missing'],
  ],
  [
    'k8s table missing pg',
    crash([
      `psycopg2.errors.UndefinedTable: relation "order_items" does not exist`,
      'LINE 1: SELECT * FROM order_items',
    ]),
    ['mysql-table-missing'],
  ],
  [
    'k8s port in use',
    crash([
      "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8080): address already in use",
    ]),
    ['port-in-use'],
  ],
  [
    'k8s port in use (spring)',
    crash([
      '***************************',
      'APPLICATION FAILED TO START',
      '***************************',
      'Description:',
      'Web server failed to start. Port 8080 was already in use.',
    ]),
    ['port-in-use'],
  ],
  [
    'k8s milvus timeout',
    crash([
      'pymilvus.exceptions.MilvusException: <MilvusException: (code=2, message=Fail connecting to server on milvus-proxy.prod-infra:19530, illegal connection params or server unavailable)>',
    ]),
    ['milvus-unreachable'],
  ],
  [
    'k8s milvus timeout 2',
    crash([
      '[2026-01-01 02:00:00 - ERROR - pymilvus.decorators]: RPC error: [connect], <MilvusException: (code=2, message=Fail connecting to server on milvus:19530. Timeout)>',
    ]),
    ['milvus-unreachable'],
  ],
  [
    'k8s collection missing',
    crash([
      'pymilvus.exceptions.MilvusException: <MilvusException: (code=100, message=collection not found[database=default][collection=kb_docs])>',
    ]),
    ['milvus-collection-missing'],
  ],
  [
    'k8s redis refused',
    crash(['redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.']),
    ['redis-unreachable'],
  ],
  [
    'k8s redis refused go',
    crash([
      '{"level":"fatal","msg":"redis ping failed","error":"dial tcp 10.100.12.4:6379: connect: connection refused"}',
    ]),
    ['redis-unreachable'],
  ],
  [
    'k8s redis refused node',
    crash([
      '[ioredis] Unhandled error event: Error: connect ECONNREFUSED 10.100.12.4:6379',
      '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
    ]),
    ['redis-unreachable'],
  ],
  [
    'k8s vllm gpu oom',
    crash([
      'INFO 01-01 02:00:00 model_runner.py:1060] Loading model weights took 14.99 GB',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB. GPU 0 has a total capacity of 22.05 GiB of which 1.02 GiB is free.',
    ]),
    ['gpu-out-of-memory'],
  ],
  [
    'k8s vllm kv cache',
    crash([
      'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
    ]),
    ['gpu-out-of-memory'],
  ],
  [
    'k8s model not found',
    crash([
      "OSError: /models/Qwen2-7B-Instruct is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'",
    ]),
    ['model-not-found'],
  ],
  [
    'k8s model not found 2',
    crash(["FileNotFoundError: [Errno 2] No such file or directory: '/mnt/models/chatglm3-6b/config.json'"]),
    ['model-not-found'],
  ],
  [
    'k8s model path (vLLM, local path missing)',
    crash([
      "huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace/repo_name': '/mnt/models/qwen2-7b'. Use `repo_type` argument if needed.",
    ]),
    ['model-not-found'],
  ],
  [
    'k8s vllm memory utilization',
    crash([
      'ValueError: Free memory on device (6.92/8.0 GiB) on startup is less than desired GPU memory utilization (0.9, 7.2 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
    ]),
    ['gpu-out-of-memory'],
  ],
  [
    'aikv wrongtype',
    crash([
      'redis.exceptions.ResponseError: WRONGTYPE Operation against a key holding the wrong kind of value',
    ]),
    ['redis-command-error'],
  ],
  [
    'aikv cluster join',
    running([
      '>>> Performing hash slots allocation on 6 nodes...',
      'Waiting for the cluster to join',
      '...........',
    ]),
    ['aikv-cluster-join'],
  ],
  [
    'k8s cuda not avail',
    crash([
      'RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx',
    ]),
    ['cuda-unavailable'],
  ],
  [
    'k8s cuda not avail 2',
    crash([
      'RuntimeError: CUDA error: no CUDA-capable device is detected',
      'CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.',
    ]),
    ['cuda-unavailable'],
  ],
  [
    'k8s minio full',
    crash([
      'ERROR Unable to upload file: An error occurred (XMinioStorageFull) when calling the PutObject operation: Storage reached its minimum free drive threshold.',
    ]),
    ['disk-full'],
  ],
  [
    'k8s pvc full',
    crash(["OSError: [Errno 28] No space left on device: '/data/uploads/batch-22'"]),
    ['disk-full'],
  ],
  [
    'k8s milvus corrupted',
    crash([
      '[2026/01/01 02:00:00.000 +00:00] [WARN] [querynodev2/segments/segment_loader.go:301] ["failed to load segment"] [error="checksum mismatch"]',
    ]),
    ['data-corrupted'],
  ],
  [
    'k8s conn refused generic',
    crash([
      'Error: connect ECONNREFUSED 10.100.40.2:8585',
      '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1595:16)',
    ]),
    ['connection-refused'],
  ],
  [
    'k8s dns failed',
    crash(['Error: getaddrinfo ENOTFOUND openmetadata.prod-infra.svc.cluster.local']),
    ['dns-resolution'],
  ],
  [
    'k8s dns failed musl',
    crash([
      "urllib3.exceptions.NameResolutionError: <urllib3.connection.HTTPConnection object at 0x7f>: Failed to resolve 'openmetadata' ([Errno -2] Name does not resolve)",
    ]),
    ['dns-resolution'],
  ],
  [
    'k8s ingress port',
    {
      ...running([]),
      services: [{ name: 'orders-api', readyEndpoints: 0, unmatchedPorts: [{ port: 80, targetPort: 8000 }] }],
    },
    ['service-port-mismatch'],
  ],
  [
    'k8s tls cert',
    crash([
      "requests.exceptions.SSLError: HTTPSConnectionPool(host='sso.example.com', port=443): Max retries exceeded with url: /realms/x (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)')))",
    ]),
    ['tls-certificate'],
  ],
  [
    'compose mysql disk',
    crash([`pymysql.err.OperationalError: (1114, "The table 'events' is full")`]),
    ['mysql-disk-full'],
  ],
  [
    'compose cors',
    running([
      "Access to XMLHttpRequest at 'http://api.example.com/api/v1/flows' from origin 'http://app.example.com' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    ]),
    ['cors'],
  ],
  [
    'compose nginx 404 config',
    crash([
      '2026/01/01 02:00:00 [emerg] 1#1: unknown directive "try_file" in /etc/nginx/conf.d/default.conf:9',
      'nginx: [emerg] unknown directive "try_file" in /etc/nginx/conf.d/default.conf:9',
    ]),
    ['invalid-config'],
  ],
  [
    'compose oom',
    {
      ...crash(['INFO loading embeddings'], 137),
      containers: [
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 3,
          waitingReason: 'CrashLoopBackOff',
          termination: { reason: 'OOMKilled', exitCode: 137 },
        },
      ],
    },
    ['oom-killed'],
  ],
  [
    'compose heap',
    crash(
      [
        '<--- Last few GCs --->',
        'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
        ' 1: 0xb83f50 node::Abort() [node]',
      ],
      134,
    ),
    ['heap-exhausted'],
  ],
  [
    'compose java heap',
    crash([
      'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
      '\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)',
    ]),
    ['heap-exhausted'],
  ],
  ['aikv port', crash(['Error: Address already in use (os error 98)']), ['port-in-use']],
  ['aikv permission', crash(['Error: Permission denied (os error 13)']), ['permission-denied']],
  ['aikv no such file', crash(['Error: No such file or directory (os error 2)']), ['missing-file']],
  [
    'aikv invalid config',
    crash([
      'Error: TOML parse error at line 4, column 10',
      '  |',
      '4 | port = "abc"',
      'invalid type: string "abc", expected u16',
    ]),
    ['invalid-config'],
  ],
  [
    'aikv missing lib',
    crash(
      [
        '/usr/local/bin/aikv: error while loading shared libraries: librocksdb.so.8: cannot open shared object file: No such file or directory',
      ],
      127,
    ),
    ['missing-executable'],
  ],
  [
    'aikv conn refused (client)',
    crash(['Could not connect to Redis at aikv.prod-infra:6379: Connection refused']),
    ['redis-unreachable'],
  ],
  [
    'aikv conn timeout',
    crash(['Could not connect to Redis at 10.0.9.9:6379: Connection timed out']),
    ['redis-unreachable', 'connection-timeout'],
  ],
  [
    'aikv conn reset',
    crash([
      "redis.exceptions.ConnectionError: Error while reading from aikv:6379 : (104, 'Connection reset by peer')",
    ]),
    ['connection-reset', 'redis-unreachable'],
  ],
  [
    'aikv maxmemory',
    crash(["redis.exceptions.OutOfMemoryError: OOM command not allowed when used memory > 'maxmemory'."]),
    ['redis-maxmemory'],
  ],
  [
    'aikv corrupted',
    crash([
      'ERROR aikv: failed to open storage: Corruption: block checksum mismatch: stored = 2324, computed = 1234 in /data/aikv/000123.sst',
    ]),
    ['data-corrupted'],
  ],
  [
    'aikv cluster down',
    crash(['redis.exceptions.ClusterDownError: CLUSTERDOWN The cluster is down']),
    ['redis-cluster-down'],
  ],
  [
    'otlp config error cm',
    {
      ...emptyEvidence(T),
      containers: [
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 0,
          waitingReason: 'CreateContainerConfigError',
          waitingMessage: 'configmap "otlp-app-config" not found',
        },
      ],
    },
    ['container-config-error'],
  ],
  [
    'otlp config error key',
    {
      ...emptyEvidence(T),
      containers: [
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 0,
          waitingReason: 'CreateContainerConfigError',
          waitingMessage: "couldn't find key api-key in Secret prod-data/otlp-app-secrets",
        },
      ],
    },
    ['container-config-error'],
  ],
  [
    'otlp dependency down',
    crash(
      ['Error: 14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 10.100.30.3:4317'],
      1,
      {
        dependencies: [
          {
            reference: '10.100.30.3:4317',
            namespace: 'prod-data',
            service: 'otel-collector',
            readyEndpoints: 0,
            state: 'down',
            diagnosis: 'its pod otel-collector-7c-abcde is in ImagePullBackOff (container otelcol)',
          },
        ],
      },
    ),
    ['dependency-down'],
  ],
  [
    'otlp resources',
    {
      ...emptyEvidence(T),
      containers: [
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 0,
          waitingReason: 'ContainerCreating',
        },
      ],
      conditions: [
        {
          on: 'Pod',
          name: 'p',
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes are available: 3 Insufficient memory.',
        },
      ],
    },
    ['unschedulable'],
  ],
  [
    'otlp rbac',
    crash([
      'Error from server (Forbidden): configmaps is forbidden: User "system:serviceaccount:prod-data:orders-api" cannot list resource "configmaps" in API group "" in the namespace "prod-data"',
    ]),
    ['rbac-forbidden'],
  ],
  [
    'otlp liveness',
    {
      ...emptyEvidence(T),
      containers: [
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: true,
          ready: false,
          restartCount: 4,
          termination: { reason: 'Error', exitCode: 137 },
        },
      ],
      events: [
        {
          kind: 'Pod',
          name: 'p',
          type: 'Warning',
          reason: 'Unhealthy',
          message:
            'Liveness probe failed: Get "http://10.0.1.5:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
          count: 12,
        },
        {
          kind: 'Pod',
          name: 'p',
          type: 'Normal',
          reason: 'Killing',
          message: 'Container app failed liveness probe, will be restarted',
          count: 4,
        },
      ],
    },
    ['liveness-failing'],
  ],
  [
    'otlp image pull',
    {
      ...emptyEvidence(T),
      containers: [
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 0,
          waitingReason: 'ImagePullBackOff',
          waitingMessage: 'Back-off pulling image "registry.example.com/orders-api:3.2.2"',
        },
      ],
    },
    ['image-pull-failure'],
  ],
  [
    'otlp network timeout',
    crash([
      '{"level":"error","msg":"exporter failed","error":"rpc error: code = DeadlineExceeded desc = context deadline exceeded","endpoint":"otel-collector:4317"}',
    ]),
    ['connection-timeout'],
  ],
  [
    'handbook readiness',
    running(['INFO:     10.0.0.1:1234 - "GET /api/v1/health HTTP/1.1" 503 Service Unavailable']),
    ['readiness-failing', 'dependency-not-ready'],
  ],
  [
    'handbook pvc pending',
    {
      ...emptyEvidence(T),
      containers: [
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 0,
          waitingReason: 'ContainerCreating',
        },
      ],
      events: [
        {
          kind: 'Pod',
          name: 'p',
          type: 'Warning',
          reason: 'FailedMount',
          message:
            'MountVolume.SetUp failed for volume "data" : persistentvolumeclaim "mysql-data" not found',
          count: 5,
        },
      ],
    },
    ['pvc-not-bound'],
  ],
  [
    'handbook keycloak auth',
    crash([
      'jwt.exceptions.InvalidSignatureError: Signature verification failed',
      'ERROR: 401 Unauthorized from keycloak: invalid_grant',
    ]),
    ['dependency-auth-failure'],
  ],
  [
    'handbook training job',
    {
      ...crash(['torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 8.00 GiB.']),
      target: { namespace: 'ml', kind: 'Job', name: 'train-bert' },
      workload: { replicas: 1, readyReplicas: 0, failedReason: 'BackoffLimitExceeded' },
    },
    ['gpu-out-of-memory'],
  ],
  [
    'handbook backup bucket',
    {
      ...crash([
        '[ERROR] [storage/minio_chunk_manager.go:210] ["failed to put object"] [bucket=milvus-backup] [error="The specified bucket does not exist."]',
        'Error: backup backup_nightly failed: copy segment binlogs: The specified bucket does not exist.',
      ]),
      target: { namespace: 'prod-infra', kind: 'CronJob', name: 'milvus-backup' },
      workload: {
        replicas: 1,
        readyReplicas: 0,
        failedReason: 'BackoffLimitExceeded',
        cronJob: 'milvus-backup',
      },
    },
    ['bucket-missing'],
  ],
  [
    'init container migration',
    {
      ...emptyEvidence(T),
      containers: [
        {
          pod: 'p',
          container: 'wait-db',
          init: true,
          running: false,
          ready: false,
          restartCount: 3,
          waitingReason: 'CrashLoopBackOff',
          termination: { reason: 'Error', exitCode: 1 },
        },
        {
          pod: 'p',
          container: 'app',
          init: false,
          running: false,
          ready: false,
          restartCount: 0,
          waitingReason: 'PodInitializing',
        },
      ],
      logs: [
        {
          pod: 'p',
          container: 'wait-db',
          init: true,
          previous: true,
          text: 'waiting for postgres...\npsql: error: connection to server at "postgres.prod-infra" (10.100.2.2), port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?',
        },
      ],
    },
    ['init-container-failing', 'connection-refused'],
  ],
];

// The runbooks' rows at the engine level, with log lines worded as the software prints them
// (not as the runbooks quote them) and names that are not the runbooks' examples.
describe('the built-in rules on the runbook rows', () => {
  it.each(rows)('%s', (_row, evidence, acceptable) => {
    // Act
    const { hypotheses } = diagnoseEvidence(evidence);

    // Assess
    expect(acceptable).toContain(hypotheses[0]?.ruleId);
    expect(`${hypotheses[0].cause} ${hypotheses[0].fix}`).not.toMatch(
      /one-data-(alldata|bisheng|system|infra|cube)|otlp-system/,
    );
  });
});
