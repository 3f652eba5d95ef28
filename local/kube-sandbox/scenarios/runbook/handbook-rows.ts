import { HANDBOOK, app, crash, dependency, job, namespace, type RunbookCase } from './case';

/*
 * one-data-studio-operations-handbook.md: the services of one-data-system (Data API 8080,
 * Agent API 8081, OpenAI Proxy 8000, Web Frontend 3000) and their dependencies (Keycloak,
 * Milvus, MinIO); health checks, restarts, authentication, vector search, backups.
 */

const NS = 'one-data-system';
const INFRA = 'one-data-infra';

const CUBE = 'one-data-cube';
const ALLDATA = 'one-data-alldata';

export const HANDBOOK_ROWS: RunbookCase[] = [
  {
    name: 'handbook-training-job-gpu-oom',
    runbook: {
      file: HANDBOOK,
      section: '监控告警 / ML 训练告警 (TrainingJobFailed)',
      row: '训练任务失败 (kube_job_status_failed, job_name=~.*training.*) → GPU 显存不足 → 减小 batch/模型或增加 GPU',
    },
    target: { namespace: CUBE, kind: 'Job', name: 'llm-training-20261122' },
    objects: () => [
      namespace(CUBE),
      job({
        namespace: CUBE,
        name: 'llm-training-20261122',
        image: 'registry.one-data.io/cube/trainer:1.6.0',
        resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '8Gi' } },
        behavior: crash(
          [
            '[2026-11-22 02:58:44,118] [INFO] [trainer.py:212] loading checkpoint /models/qwen2.5-7b (bf16)',
            '[2026-11-22 02:58:51,902] [INFO] [trainer.py:240] epoch 1/3, per_device_train_batch_size=16',
            'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.00 GiB. GPU 0 has a total capacity of 23.65 GiB of which 1.12 GiB is free. Of the allocated memory 21.40 GiB is allocated by PyTorch.',
          ],
          1,
          4,
        ),
      }),
    ],
    // A Job is never restarted: the cause and its fix, and a rerun once fixed, go to a human.
    expect: { ruleId: 'gpu-out-of-memory', action: 'none', fixMentions: ['llm-training-20261122'] },
  },
  {
    name: 'handbook-mysql-backup-job-denied',
    runbook: {
      file: HANDBOOK,
      section: '备份恢复 / MySQL 备份',
      row: 'mysqldump 手动备份失败 (Access denied) → 备份账号凭证错误 → 检查备份 Secret 与 MySQL 授权',
    },
    target: { namespace: 'one-data-infra', kind: 'Job', name: 'mysql-backup-manual' },
    objects: () => [
      namespace('one-data-infra'),
      ...dependency({ namespace: 'one-data-infra', name: 'mysql', image: 'mysql:8.0.36', port: 3306 }),
      job({
        namespace: 'one-data-infra',
        name: 'mysql-backup-manual',
        image: 'mysql:8.0.36',
        command: [
          'sh',
          '-c',
          'mysqldump -h mysql -u backup -p"$MYSQL_PASSWORD" one_data_studio > /backup/backup.sql',
        ],
        behavior: crash(
          [
            "mysqldump: Got error: 1045: Access denied for user 'backup'@'10.0.3.21' (using password: YES) when trying to connect",
          ],
          2,
          1,
        ),
      }),
    ],
    expect: {
      ruleId: 'mysql-access-denied',
      action: 'none',
      fixMentions: ['mysql-backup-manual', 'one-data-infra'],
    },
  },
  {
    name: 'handbook-etl-job-mysql-down',
    runbook: {
      file: HANDBOOK,
      section: '监控告警 / 数据流水线告警 (ETLJobFailureRateHigh)',
      row: 'ETL 任务失败 → 数据库 (MySQL) 未就绪 → 等待 MySQL 就绪后重跑任务',
    },
    target: { namespace: ALLDATA, kind: 'Job', name: 'etl-sync-orders-29381760' },
    objects: () => [
      namespace(ALLDATA),
      namespace('one-data-infra'),
      ...dependency({
        namespace: 'one-data-infra',
        name: 'mysql',
        image: 'mysql:8.0.36',
        port: 3306,
        behavior: {
          mode: 'oom',
          runSeconds: 5,
          logs: [
            '2026-11-22T02:58:11.412311Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.36) starting as process 1',
          ],
        },
      }),
      job({
        namespace: ALLDATA,
        name: 'etl-sync-orders-29381760',
        image: 'registry.one-data.io/alldata/etl-worker:3.2.1',
        behavior: crash(
          [
            'etl.sync INFO syncing orders into mysql://mysql.one-data-infra:3306/one_data',
            `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' ([Errno 111] Connection refused)")`,
          ],
          1,
          2,
        ),
      }),
    ],
    // The cause is MySQL (down, OOMKilled); the Job is rerun by a human once MySQL is back.
    expect: {
      ruleId: 'mysql-unreachable',
      action: 'none',
      fixMentions: ['mysql', 'one-data-infra', 'etl-sync-orders-29381760'],
    },
  },
  {
    name: 'handbook-health-check-not-ready',
    runbook: {
      file: HANDBOOK,
      section: '日常运维 / 健康检查',
      row: '健康检查失败 (Pod 未就绪) → 服务卡住 → kubectl rollout restart',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'data-api' },
    objects: () => [
      namespace(NS),
      app({
        namespace: NS,
        name: 'data-api',
        image: 'registry.one-data.io/system/data-api:3.2.1',
        port: 8080,
        replicas: 2,
        behavior: {
          mode: 'not-ready',
          logs: ['INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)'],
        },
        readinessProbe: { httpGet: { path: '/api/v1/health', port: 8080 }, periodSeconds: 10 },
      }),
    ],
    expect: { ruleId: 'readiness-failing', action: 'restart', fixMentions: ['data-api'] },
  },
  {
    name: 'handbook-keycloak-auth-failed',
    runbook: {
      file: HANDBOOK,
      section: '故障排查 / 常见问题 / 3. 认证失败',
      row: '认证失败 (401) → Keycloak 客户端凭证错误 → 检查 Keycloak 与客户端密钥',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'agent-api' },
    objects: () => [
      namespace(NS),
      ...dependency({
        namespace: NS,
        name: 'keycloak',
        image: 'quay.io/keycloak/keycloak:24.0.5',
        port: 8080,
      }),
      app({
        namespace: NS,
        name: 'agent-api',
        image: 'registry.one-data.io/system/agent-api:2.5.3',
        port: 8081,
        behavior: crash(
          [
            '{"level":"info","msg":"starting agent-api","version":"2.5.3"}',
            '{"level":"fatal","msg":"oidc discovery failed","issuer":"http://keycloak:8080/realms/one-data","error":"oauth2: \\"unauthorized_client\\" \\"Invalid client or Invalid client credentials\\""}',
          ],
          1,
        ),
      }),
    ],
    expect: { ruleId: 'dependency-auth-failure', action: 'none', fixMentions: ['agent-api'] },
  },
  {
    name: 'handbook-vector-search-milvus',
    runbook: {
      file: HANDBOOK,
      section: '故障排查 / 常见问题 / 2. 向量检索失败',
      row: '向量检索失败 → Milvus 不可用 → 检查 Milvus 状态',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'agent-api' },
    objects: () => [
      namespace(NS),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'milvus',
        image: 'milvusdb/milvus:v2.4.15',
        port: 19530,
        behavior: {
          mode: 'oom',
          runSeconds: 6,
          logs: [
            '[2026/11/22 02:58:40.118 +00:00] [INFO] [roles/roles.go:305] ["starting running Milvus components"]',
          ],
        },
      }),
      app({
        namespace: NS,
        name: 'agent-api',
        image: 'registry.one-data.io/system/agent-api:2.5.3',
        port: 8081,
        behavior: crash(
          [
            '{"level":"info","msg":"starting agent-api","version":"2.5.3"}',
            '{"level":"fatal","msg":"vector store unavailable","addr":"milvus.one-data-infra:19530","error":"context deadline exceeded"}',
          ],
          1,
        ),
      }),
    ],
    expect: { ruleId: 'milvus-unreachable', action: 'wait-for-dependency', fixMentions: ['milvus', INFRA] },
  },
  {
    name: 'handbook-minio-bucket-missing',
    runbook: {
      file: HANDBOOK,
      section: '备份恢复 / MinIO 备份',
      row: 'MinIO 备份失败 → 目标 bucket 不存在 → mc mb 创建 bucket',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'data-api' },
    objects: () => [
      namespace(NS),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'minio',
        image: 'minio/minio:RELEASE.2024-06-13T22-53-53Z',
        port: 9000,
      }),
      app({
        namespace: NS,
        name: 'data-api',
        image: 'registry.one-data.io/system/data-api:3.2.1',
        port: 8080,
        behavior: crash(
          [
            'INFO:     Started server process [1]',
            'data_api.storage INFO checking bucket one-data-exports at http://minio.one-data-infra:9000',
            'botocore.errorfactory.NoSuchBucket: An error occurred (NoSuchBucket) when calling the HeadBucket operation: The specified bucket does not exist',
            'ERROR:    Application startup failed. Exiting.',
          ],
          3,
        ),
      }),
    ],
    expect: { ruleId: 'bucket-missing', action: 'none', fixMentions: ['data-api', NS] },
  },
  {
    name: 'handbook-llm-rate-limited',
    runbook: {
      file: HANDBOOK,
      section: '监控告警 / RAG 服务告警',
      row: 'LLM 请求失败率高 → 上游限流 (429) → 降低请求速率或提高配额',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'openai-proxy' },
    objects: () => [
      namespace(NS),
      app({
        namespace: NS,
        name: 'openai-proxy',
        image: 'registry.one-data.io/system/openai-proxy:1.2.0',
        port: 8000,
        behavior: crash(
          [
            'INFO:     Started server process [1]',
            'openai_proxy INFO warming up model list from upstream',
            "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in organization org-onedata on tokens per min (TPM): Limit 30000, Used 29874, Requested 1203. Please try again in 2.154s.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}",
            'ERROR:    Application startup failed. Exiting.',
          ],
          3,
        ),
      }),
    ],
    expect: { ruleId: 'rate-limited', action: 'none', fixMentions: ['openai-proxy'] },
  },
  {
    name: 'handbook-web-heap-exhausted',
    runbook: {
      file: HANDBOOK,
      section: '部署架构 / 资源配置建议',
      row: 'Web Frontend 内存不足崩溃 (JavaScript heap out of memory) → 内存配置过低 → 按 256Mi-1Gi 调整',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'web-frontend' },
    objects: () => [
      namespace(NS),
      app({
        namespace: NS,
        name: 'web-frontend',
        image: 'registry.one-data.io/system/web-frontend:1.8.0',
        port: 3000,
        behavior: crash(
          [
            '  ▲ Next.js 14.2.5',
            '  - Local:        http://localhost:3000',
            '',
            '<--- Last few GCs --->',
            '[1:0x5a3c2e0]    41532 ms: Mark-Compact 251.8 (258.6) -> 250.9 (259.1) MB, 612.40 / 0.00 ms  (average mu = 0.151, current mu = 0.021) allocation failure; scavenge might not succeed',
            '',
            'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
            '----- Native stack trace -----',
          ],
          134,
          8,
        ),
      }),
    ],
    expect: { ruleId: 'heap-exhausted', action: 'none', fixMentions: ['web-frontend', NS] },
  },
  {
    name: 'handbook-keycloak-tls-expired',
    runbook: {
      file: HANDBOOK,
      section: '安全加固 / 密钥管理',
      row: 'TLS 握手失败 (证书过期) → 证书未轮换 → 更新证书',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'agent-api' },
    objects: () => [
      namespace(NS),
      app({
        namespace: NS,
        name: 'agent-api',
        image: 'registry.one-data.io/system/agent-api:2.5.3',
        port: 8081,
        behavior: crash(
          [
            '{"level":"info","msg":"starting agent-api","version":"2.5.3"}',
            '{"level":"fatal","msg":"oidc discovery failed","issuer":"https://sso.one-data.io/realms/one-data","error":"Get \\"https://sso.one-data.io/realms/one-data/.well-known/openid-configuration\\": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-22T02:58:41Z is after 2026-11-20T23:59:59Z"}',
          ],
          1,
        ),
      }),
    ],
    expect: { ruleId: 'tls-certificate', action: 'none', fixMentions: ['agent-api', NS] },
  },
  {
    name: 'handbook-restart-sigkill',
    runbook: {
      file: HANDBOOK,
      section: '日常运维 / 服务重启',
      row: '服务无响应被强制终止 (exit 137) → 进程卡死 → kubectl rollout restart',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'agent-api' },
    objects: () => [
      namespace(NS),
      app({
        namespace: NS,
        name: 'agent-api',
        image: 'registry.one-data.io/system/agent-api:2.5.3',
        port: 8081,
        behavior: {
          mode: 'crash',
          exitCode: 137,
          runSeconds: 6,
          recoverAfterRolloutRestart: true,
          logs: [
            '{"level":"info","msg":"starting agent-api","version":"2.5.3"}',
            '{"level":"info","msg":"listening","addr":":8081"}',
          ],
        },
      }),
    ],
    expect: { ruleId: 'sigkill', action: 'restart', fixMentions: [] },
  },
];
