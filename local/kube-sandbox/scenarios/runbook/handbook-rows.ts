import { HANDBOOK, app, crash, dependency, namespace, type RunbookCase } from './case';

/*
 * one-data-studio-operations-handbook.md: the services of one-data-system (Data API 8080,
 * Agent API 8081, OpenAI Proxy 8000, Web Frontend 3000) and their dependencies (Keycloak,
 * Milvus, MinIO); health checks, restarts, authentication, vector search, backups.
 */

const NS = 'one-data-system';
const INFRA = 'one-data-infra';

export const HANDBOOK_ROWS: RunbookCase[] = [
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
