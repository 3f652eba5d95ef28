import { rollOut, setBehavior } from '../workloads';
import { OTLP, app, crash, dependency, namespace, svc, type RunbookCase } from './case';

/*
 * otlp-app-troubleshooting.md: the OTLP Rust application (otlp-system/otlp-app, its
 * otlp-app-config ConfigMap, otlp-app-secrets Secret, otlp-app-service) and its collector
 * (otel-collector:4317). Errors are worded as Rust, tonic and the opentelemetry crates print them.
 */

const NS = 'otlp-system';
const IMAGE = 'registry.example.com/otlp/otlp-app:1.4.2';
const start = [
  '2026-11-22T02:58:41.103Z  INFO otlp_app: starting otlp-app version=1.4.2',
  '2026-11-22T02:58:41.104Z  INFO otlp_app::telemetry: exporting traces to http://otel-collector:4317',
];

function otlpApp(logs: string[], extra: Partial<Parameters<typeof app>[0]> = {}) {
  return app({
    namespace: NS,
    name: 'otlp-app',
    image: IMAGE,
    port: 8080,
    replicas: 2,
    behavior: crash([...start, ...logs], 1),
    ...extra,
  });
}

const collectorUp = dependency({
  namespace: NS,
  name: 'otel-collector',
  image: 'otel/opentelemetry-collector-contrib:0.112.0',
  port: 4317,
});

export const OTLP_ROWS: RunbookCase[] = [
  {
    name: 'otlp-configmap-missing',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: '配置错误 (ConfigMap otlp-app-config 不存在) → 检查ConfigMap和Secret配置',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], { behavior: undefined, envFrom: [{ configMapRef: { name: 'otlp-app-config' } }] }),
    ],
    expect: { ruleId: 'container-config-error', action: 'none', fixMentions: ['otlp-app-config', NS] },
  },
  {
    name: 'otlp-secret-key-missing',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: '配置错误 (Secret otlp-app-secrets 缺少 api-key) → 检查ConfigMap和Secret配置',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'otlp-app-secrets', namespace: NS },
        type: 'Opaque',
        stringData: { 'collector-token': 'redacted' },
      },
      otlpApp([], {
        behavior: undefined,
        env: [{ name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'otlp-app-secrets', key: 'api-key' } } }],
      }),
    ],
    expect: {
      ruleId: 'container-config-error',
      action: 'none',
      fixMentions: ['api-key', 'otlp-app-secrets'],
    },
  },
  {
    name: 'otlp-collector-unavailable',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: '依赖服务不可用 (otel-collector) → 检查依赖服务状态',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      ...dependency({
        namespace: NS,
        name: 'otel-collector',
        image: 'otel/opentelemetry-collector-contrib:0.112.0',
        port: 4317,
        behavior: crash(
          [
            'Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s):',
            '\'exporters\' unknown type: "awsxray2" for id: "awsxray2" (valid values: [otlp otlphttp debug awsxray])',
            '2026/11/22 02:58:40 collector server run finished with error: failed to get config: cannot unmarshal the configuration',
          ],
          1,
          1,
        ),
      }),
      otlpApp([
        '2026-11-22T02:58:42.311Z ERROR otlp_app: failed to connect to OTLP endpoint http://otel-collector:4317',
        'Error: transport error: error trying to connect: tcp connect error: Connection refused (os error 111)',
      ]),
    ],
    expect: { ruleId: 'dependency-down', action: 'wait-for-dependency', fixMentions: ['otel-collector'] },
  },
  {
    name: 'otlp-insufficient-resources',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: '资源不足 (Pending, FailedScheduling) → 检查资源限制和请求',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], {
        behavior: undefined,
        resources: { requests: { cpu: '6', memory: '24Gi' }, limits: { memory: '24Gi' } },
      }),
    ],
    expect: { ruleId: 'unschedulable', action: 'none', fixMentions: ['otlp-app', NS] },
  },
  {
    name: 'otlp-port-conflict',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败', row: '端口冲突 → 检查端口配置' },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([
        '2026-11-22T02:58:41.120Z  INFO otlp_app::server: binding metrics listener on 0.0.0.0:8080',
        'Error: Os { code: 98, kind: AddrInUse, message: "Address already in use" }',
      ]),
    ],
    expect: { ruleId: 'port-in-use', action: 'none', fixMentions: ['otlp-app', NS] },
  },
  {
    name: 'otlp-rbac-forbidden',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败', row: '权限问题 → 检查RBAC配置' },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([
        '2026-11-22T02:58:41.180Z  INFO otlp_app::k8s: discovering pods for resource attributes',
        'Error: ApiError: pods is forbidden: User "system:serviceaccount:otlp-system:otlp-app" cannot list resource "pods" in API group "" in the namespace "otlp-system": Forbidden (ErrorResponse { status: "Failure", message: "pods is forbidden: User \\"system:serviceaccount:otlp-system:otlp-app\\" cannot list resource \\"pods\\" in API group \\"\\" in the namespace \\"otlp-system\\"", reason: "Forbidden", code: 403 })',
      ]),
    ],
    expect: { ruleId: 'rbac-forbidden', action: 'none', fixMentions: ['otlp-app', NS] },
  },
  {
    name: 'otlp-collector-dns',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 网络连接问题',
      row: '无法连接 otel-collector → DNS 解析失败 (nslookup otel-collector) → 检查服务名与 DNS',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([
        '2026-11-22T02:58:42.311Z ERROR otlp_app: failed to connect to OTLP endpoint http://otel-collector:4317',
        'Error: transport error: error trying to connect: dns error: failed to lookup address information: Name or service not known',
      ]),
    ],
    expect: { ruleId: 'dns-resolution', action: 'none', fixMentions: ['otlp-app', NS] },
  },
  {
    name: 'otlp-collector-timeout',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 网络连接问题',
      row: '连接超时 → 网络策略阻断 (kubectl get networkpolicy) → 检查 NetworkPolicy',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      ...collectorUp,
      otlpApp([
        '2026-11-22T02:58:42.311Z ERROR otlp_app: failed to connect to OTLP endpoint http://otel-collector:4317',
        'Error: transport error: error trying to connect: tcp connect error: Connection timed out (os error 110)',
      ]),
    ],
    // The collector is up: the timeouts are the network's (a NetworkPolicy); a restart cannot help.
    expect: { ruleId: 'connection-timeout', action: 'none', fixMentions: [NS] },
  },
  {
    name: 'otlp-service-no-endpoints',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 网络连接问题',
      row: 'Service 无 Endpoint (kubectl get endpoints) → Pod 未就绪 → 检查 Pod 就绪状态',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], {
        behavior: {
          mode: 'not-ready',
          logs: [...start, '2026-11-22T02:58:41.300Z  WARN otlp_app::health: warming up span processor'],
        },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
      }),
      svc(NS, 'otlp-app-service', 80, { targetPort: 8080, selectorApp: 'otlp-app' }),
    ],
    expect: { ruleId: 'service-no-endpoints', action: 'restart', fixMentions: ['otlp-app'] },
  },
  {
    name: 'otlp-liveness-failing',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: '应用无法响应健康检查 → 存活探针失败, 容器被重启 → 检查健康检查端点与探针配置',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], {
        behavior: { mode: 'liveness-failure', runSeconds: 15, probeStatusCode: 503, logs: start },
        livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10, failureThreshold: 3 },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
      }),
    ],
    expect: { ruleId: 'liveness-failing', action: 'none', fixMentions: ['otlp-app'] },
  },
  {
    name: 'otlp-image-pull',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: 'Pod 无法启动 (ImagePullBackOff) → 镜像名或标签错误 → 检查镜像',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], {
        image: 'registry.example.com/otlp/otlp-app:1.4.3-rc',
        behavior: { mode: 'image-pull-failure' },
      }),
    ],
    expect: { ruleId: 'image-pull-failure', action: 'none', fixMentions: ['otlp-app', NS] },
  },
  {
    name: 'otlp-bad-release-rollback',
    runbook: {
      file: OTLP,
      section: '应急响应程序 / 2. 回滚程序',
      row: '新版本启动即崩溃、上一版本正常 → 发布缺陷 → kubectl rollout undo deployment/otlp-app',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], { behavior: { mode: 'healthy', readyAfterSeconds: 2, logs: start } }),
    ],
    async setup(sandbox) {
      await rollOut(sandbox, NS, 'otlp-app', (d) => {
        const spec = d.spec as { template: { spec: { containers: Array<{ image: string }> } } };
        spec.template.spec.containers[0].image = 'registry.example.com/otlp/otlp-app:1.5.0';
        setBehavior(
          d,
          'otlp-app',
          crash(
            [
              '2026-11-22T02:58:41.103Z  INFO otlp_app: starting otlp-app version=1.5.0',
              "thread 'main' panicked at src/pipeline/batch.rs:88:41:",
              'called `Option::unwrap()` on a `None` value',
              'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
            ],
            101,
          ),
        );
      });
    },
    expect: { ruleId: 'bad-release', action: 'rollback', fixMentions: ['otlp-app'] },
  },
  {
    name: 'otlp-p0-restart-recovers',
    runbook: {
      file: OTLP,
      section: '应急响应程序 / 1. P0级故障响应',
      row: '应用不可用 (CrashLoopBackOff) → 瞬时故障 → kubectl rollout restart, sleep 60, 检查恢复',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], {
        behavior: {
          mode: 'crash',
          exitCode: 101,
          runSeconds: 4,
          recoverAfterRolloutRestart: true,
          logs: [
            ...start,
            "thread 'tokio-runtime-worker' panicked at src/exporter.rs:212:18:",
            'span batch channel closed',
          ],
        },
      }),
    ],
    expect: { ruleId: 'crash-loop', action: 'restart', fixMentions: ['otlp-app'] },
  },
  {
    name: 'otlp-evicted-ephemeral-storage',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: '资源不足 (Pod 被驱逐: ephemeral-storage) → 检查资源限制和请求',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], {
        behavior: {
          mode: 'disk-full',
          runSeconds: 10,
          logs: [...start, '2026-11-22T02:58:42.001Z  INFO otlp_app::spool: spooling spans to /spool'],
        },
        volumeMounts: [{ name: 'spool', mountPath: '/spool' }],
        volumes: [{ name: 'spool', emptyDir: { sizeLimit: '1Gi' } }],
      }),
    ],
    expect: { ruleId: 'evicted', action: 'none', fixMentions: ['otlp-app', NS] },
  },
  {
    name: 'otlp-init-wait-collector',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: 'Init:CrashLoopBackOff (wait-for-collector) → 依赖服务不可用 → 检查依赖服务状态',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], {
        behavior: undefined,
        initContainers: [
          {
            name: 'wait-for-collector',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'nc -z -w 2 otel-collector 4317'],
            behavior: {
              mode: 'crash',
              exitCode: 1,
              runSeconds: 2,
              logs: ["nc: bad address 'otel-collector'"],
            },
          },
        ],
      }),
    ],
    expect: {
      ruleId: 'init-container-failing',
      action: 'wait-for-dependency',
      fixMentions: ['wait-for-collector'],
    },
  },
  {
    name: 'otlp-command-not-found',
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 应用启动失败',
      row: '容器无法启动 (RunContainerError: executable file not found) → 镜像错误 → 检查镜像与启动命令',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'otlp-app' },
    objects: () => [
      namespace(NS),
      otlpApp([], { command: ['/usr/local/bin/otlp-app'], behavior: { mode: 'command-not-found' } }),
    ],
    expect: { ruleId: 'missing-executable', action: 'none', fixMentions: ['otlp-app', NS] },
  },
];
