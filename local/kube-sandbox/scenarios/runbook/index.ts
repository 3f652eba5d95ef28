import type { Scenario } from '../types';
import { AIKV, COMPOSE, HANDBOOK, K8S, OTLP, type InexpressibleRow, type RunbookCase } from './case';
import { AIKV_ROWS } from './aikv-rows';
import { COMPOSE_ROWS } from './compose-rows';
import { HANDBOOK_ROWS } from './handbook-rows';
import { KUBERNETES_ROWS } from './kubernetes-rows';
import { OTLP_ROWS } from './otlp-rows';

export type { InexpressibleRow, RunbookCase } from './case';

/** One case per symptom → cause → fix row of the five runbooks (reference/runbooks/). */
export const RUNBOOK_CASES: readonly RunbookCase[] = [
  ...KUBERNETES_ROWS,
  ...COMPOSE_ROWS,
  ...OTLP_ROWS,
  ...AIKV_ROWS,
  ...HANDBOOK_ROWS,
];

/** Rows the sandbox cannot express yet, and why (docs/diagnosis.md lists them). */
const NO_METRICS =
  'a resource-usage symptom: the sandbox serves no metrics (no metrics-server, cAdvisor or Prometheus), and nothing in the objects or logs shows it';

export const INEXPRESSIBLE_ROWS: readonly InexpressibleRow[] = [
  {
    runbook: {
      file: K8S,
      section: '性能问题 / Milvus 查询缓慢',
      row: '查询慢 → 索引参数/资源 → 调整 nprobe、增加 QueryNode',
    },
    why: NO_METRICS,
  },
  {
    runbook: {
      file: K8S,
      section: '数据一致性问题 / 元数据同步失败',
      row: 'OpenMetadata 与本地数据库不一致 → 同步任务失败 → 手动触发同步',
    },
    why: 'an inconsistency between two healthy services: no pod, event or log line in the cluster shows it',
  },
  {
    runbook: {
      file: K8S,
      section: '集成问题 / Text-to-SQL 生成错误',
      row: '生成的 SQL 语法错误 → Prompt/Schema 上下文 → 更新 Schema 缓存',
    },
    why: 'wrong answers from a healthy service: not a workload failure',
  },
  {
    runbook: {
      file: K8S,
      section: '网络问题 / Ingress 配置错误',
      row: '404 Not Found → Ingress 路径/host 配置错误 → 检查 Ingress 规则',
    },
    why: 'the sandbox of this branch serves no Ingress objects and runs no ingress controller (sandbox-api adds the types)',
  },
  {
    runbook: {
      file: COMPOSE,
      section: '前端问题 / API 跨域错误',
      row: '浏览器控制台显示 CORS 错误 → CORS 配置 → 检查 API CORS 设置',
    },
    why: "the error is in the browser's console: the API answers 200 without the header, and no pod log or event shows it",
  },
  {
    runbook: {
      file: COMPOSE,
      section: '性能问题 / 高 CPU 使用',
      row: '高 CPU → 向量检索/LLM 调用/日志处理 → 调整参数',
    },
    why: NO_METRICS,
  },
  {
    runbook: {
      file: COMPOSE,
      section: '性能问题 / 磁盘 I/O 高',
      row: '磁盘 I/O 高 → 刷盘策略 → SSD、调整 innodb_flush_log_at_trx_commit',
    },
    why: NO_METRICS,
  },
  {
    runbook: {
      file: COMPOSE,
      section: '安全事件 / 疑似入侵、数据泄露、密钥轮换',
      row: '异常访问 → 入侵 → 隔离、取证、轮换密钥',
    },
    why: 'a security response (forensics, isolation, rotation), not a workload failure the flow remediates',
  },
  {
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 3. 性能问题',
      row: '响应时间长、CPU/内存高 → 资源或代码热点 → kubectl top、性能分析',
    },
    why: NO_METRICS,
  },
  {
    runbook: {
      file: OTLP,
      section: '常见故障场景 / 2. 网络连接问题',
      row: 'Pod 无法创建网络 (FailedCreatePodSandBox) → CNI/IP 耗尽 → 检查 aws-node 与子网',
    },
    why: "the sandbox's kubelet always creates the pod sandbox; it cannot fail CNI setup",
  },
  {
    runbook: {
      file: AIKV,
      section: '命令执行问题 / WRONGTYPE、ERR 语法错误、命令返回 nil、集群重定向',
      row: '命令返回错误 → 客户端用法 → 修正命令/使用 -c',
    },
    why: "answers to a client's commands from a healthy server: not a workload failure",
  },
  {
    runbook: {
      file: AIKV,
      section: '集群问题 / 2. 节点失联',
      row: '节点失联 → 网络或进程故障 → 检查节点与网络',
    },
    why: 'a Kubernetes node going NotReady needs node lifecycle (stopKubelet), which the sandbox of this branch lacks (sandbox-api adds it)',
  },
  {
    runbook: {
      file: AIKV,
      section: '集群问题 / 1. 集群初始化卡住 "Waiting for the cluster to join", CLUSTER MEET 后节点不同步',
      row: '集群初始化卡住 → 集群总线端口/gossip → 手动初始化集群',
    },
    why: 'the cluster bus between AiKv nodes (gossip on port+10000) is not simulated',
  },
  {
    runbook: {
      file: AIKV,
      section: '数据问题 / 1. 数据丢失、3. 过期键未删除',
      row: '数据丢失/过期键 → 持久化与过期策略 → 配置 AOF/主动清理',
    },
    why: 'data semantics of a healthy server: not a workload failure',
  },
  {
    runbook: {
      file: HANDBOOK,
      section: '故障排查 / 紧急恢复流程 (检查 PVC)',
      row: '数据库连接失败 → PVC 未绑定 (Pending) → 检查 PVC 与 StorageClass',
    },
    why: 'the sandbox of this branch serves no PersistentVolumeClaims (sandbox-api adds storage); the rule pvc-not-bound is tested at the engine level',
  },
  {
    runbook: {
      file: HANDBOOK,
      section: '扩缩容 / 手动扩容、HPA',
      row: '负载高 → 副本不足 → kubectl scale / HPA',
    },
    why: 'capacity planning on load metrics, not a failure; the sandbox serves no metrics',
  },
];

/** Each case as a named sandbox scenario (`eks-incident demo --scenario NAME`). */
export function runbookScenario(c: RunbookCase): Scenario {
  const { namespace, kind, name } = c.target;
  return {
    name: c.name,
    description: `${c.runbook.file} § ${c.runbook.section}: ${c.runbook.row}`,
    examples: [
      `kubectl get pods -n ${namespace}`,
      `kubectl logs -n ${namespace} ${kind.toLowerCase()}/${name} --previous`,
      `kubectl events -n ${namespace}`,
    ],
    objects: (now) => c.objects(now),
    ...(c.setup ? { setup: c.setup } : {}),
  };
}

export function runbookCase(name: string): RunbookCase | undefined {
  return RUNBOOK_CASES.find((c) => c.name === name);
}
