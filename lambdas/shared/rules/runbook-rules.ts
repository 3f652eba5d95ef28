/**
 * Symptom → cause → fix, as the runbooks in reference/runbooks/ state them, as data. Each
 * rule names the runbook file and section it comes from, so a responder can read the source.
 *
 * `specificity` decides between rules that all match: a container that was OOMKilled, cannot
 * pull its image or cannot be scheduled has an unambiguous cause (50); a log line naming the
 * failing dependency is specific (40); a generic network error in a log less so (20); how a
 * container died without a reason (15), a failing readiness probe (10), and CrashLoopBackOff
 * itself (5) only say that something is wrong.
 */

export interface RunbookRef {
  file: string;
  section: string;
}

export type RuleMatch =
  /** A line of a current or previous container log. */
  | { log: RegExp }
  /** `state.waiting.reason` of a container. */
  | { waitingReason: string[] }
  /** The reason (and, if given, one of the exit codes) of a container's last termination. */
  | { terminationReason: string[]; exitCodes?: number[] }
  /** A pod condition. */
  | { podCondition: { type: string; status: string; reason: string } }
  /** A container that runs but whose readiness probe fails. */
  | { runningNotReady: true };

export interface Rule {
  id: string;
  match: RuleMatch;
  cause: string;
  suggestedFix: string;
  runbook: RunbookRef;
  specificity: number;
}

const K8S = 'one-data-studio-kubernetes-troubleshooting.md';
const COMPOSE = 'one-data-studio-compose-troubleshooting.md';
const OTLP = 'otlp-app-troubleshooting.md';
const AIKV = 'aikv-troubleshooting.md';
const HANDBOOK = 'one-data-studio-operations-handbook.md';

export const RUNBOOK_RULES: readonly Rule[] = [
  // ---- Unambiguous container and pod states -------------------------------------------
  {
    id: 'oom-killed',
    match: { terminationReason: ['OOMKilled'] },
    cause: 'The container exceeded its memory limit and was killed by the kernel (OOMKilled).',
    suggestedFix:
      'Raise resources.limits.memory (the handbook sizes Data API at 512Mi-2Gi, Agent API at 1Gi-4Gi) or find the leak (tracemalloc / heap profile); a restart only frees memory until it fills again.',
    runbook: { file: COMPOSE, section: '性能问题 / 高内存使用' },
    specificity: 50,
  },
  {
    id: 'image-pull-failure',
    match: { waitingReason: ['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull'] },
    cause: 'The container image cannot be pulled: wrong image name or tag, or missing registry credentials.',
    suggestedFix:
      'Check the image and tag in the pod template and that the registry is reachable; check imagePullSecrets. A restart will not help; roll back to the previous revision if a bad tag was deployed.',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
    specificity: 50,
  },
  {
    id: 'container-config-error',
    match: { waitingReason: ['CreateContainerConfigError'] },
    cause:
      'The container cannot be created: a ConfigMap or Secret (or one of its keys) it references is missing.',
    suggestedFix:
      'Compare the env/envFrom/volume references with `kubectl get configmap,secret -n <namespace>`; create the missing key or fix the reference. A restart will not help.',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (配置错误: 检查ConfigMap和Secret配置)' },
    specificity: 50,
  },
  {
    id: 'unschedulable',
    match: { podCondition: { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' } },
    cause:
      'The pod cannot be scheduled: no node has the CPU, memory or GPU it requests, or its node selector/taints exclude every node.',
    suggestedFix:
      'Check requests against node capacity (`kubectl describe node`, `nvidia.com/gpu` for GPU workloads) and the node selector and tolerations; add capacity or lower the requests.',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (资源不足: 检查资源限制和请求)' },
    specificity: 50,
  },

  // ---- Dependencies named in the logs -----------------------------------------------
  {
    id: 'mysql-unreachable',
    match: {
      log: /Can't connect to MySQL server|\(2003, "Can't connect|Communications link failure|ECONNREFUSED [\d.]+:3306/i,
    },
    cause: 'MySQL is not ready or not reachable (MySQL 未就绪).',
    suggestedFix:
      'Check the MySQL pod and service (`kubectl get pods -n one-data-infra | grep mysql`) and wait until it is Ready; once the database is up, a rollout restart recovers the workload.',
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败' },
    specificity: 40,
  },
  {
    id: 'mysql-access-denied',
    match: { log: /Access denied for user/i },
    cause: 'The database rejected the credentials (数据库凭证错误).',
    suggestedFix:
      'Check the Secret holding the database user and password against MySQL; a restart will not help until the credentials match.',
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败' },
    specificity: 40,
  },
  {
    id: 'mysql-table-missing',
    match: { log: /Table '[^']+' doesn't exist|Table doesn't exist|\(1146,/i },
    cause: 'The database schema is not initialised (数据库未初始化).',
    suggestedFix:
      'Run the migrations: `kubectl exec -n <namespace> deployment/<name> -- python -m alembic upgrade head`, or apply the db-init Job.',
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败 (数据库初始化)' },
    specificity: 40,
  },
  {
    id: 'mysql-disk-full',
    match: { log: /ERROR 1114|The table '?[^ ]*'? is full/i },
    cause: "MySQL's disk is full (数据库磁盘空间不足).",
    suggestedFix: 'Free space (old data, binlogs), expand the volume, or archive data; then restart.',
    runbook: { file: COMPOSE, section: '数据库问题 / 数据库磁盘空间不足' },
    specificity: 40,
  },
  {
    id: 'milvus-unreachable',
    match: {
      log: /Milvus connection timeout|MilvusException.*(Failed to connect|connection)|milvus[\w.-]*:19530.*(refused|timed? ?out|unavailable)/i,
    },
    cause: 'The Milvus proxy is not ready or not reachable (Milvus Proxy 未就绪).',
    suggestedFix:
      'Check the Milvus StatefulSets and their etcd/MinIO dependencies (`kubectl get pods -n one-data-infra | grep milvus`), test `nc -zv milvus-proxy.one-data-infra.svc.cluster.local 19530`; restart once Milvus is up.',
    runbook: { file: K8S, section: '服务启动问题 / Bisheng API 启动失败' },
    specificity: 40,
  },
  {
    id: 'milvus-collection-missing',
    match: { log: /Collection not found|collection .* (not found|does not exist)|can't find collection/i },
    cause: 'The vector collection has not been created (向量集合未创建).',
    suggestedFix: 'Run the collection initialisation script; a restart will not create it.',
    runbook: { file: K8S, section: '服务启动问题 / Bisheng API 启动失败' },
    specificity: 40,
  },
  {
    id: 'redis-unreachable',
    match: {
      log: /Redis connection refused|Error 111 connecting to [\w.-]+:6379|ECONNREFUSED [\d.]+:6379|Could not connect to Redis/i,
    },
    cause: 'Redis is not running or not reachable (Redis 未启动).',
    suggestedFix:
      'Check the Redis pod (`kubectl get pods -n one-data-infra | grep redis`) and its service endpoints; restart once Redis answers PING.',
    runbook: { file: K8S, section: '服务启动问题 / Bisheng API 启动失败' },
    specificity: 40,
  },
  {
    id: 'gpu-out-of-memory',
    match: { log: /Out of GPU memory|CUDA out of memory|torch\.(cuda\.)?OutOfMemoryError/i },
    cause: 'The model does not fit in GPU memory (模型太大或 GPU 不足).',
    suggestedFix:
      'Use a smaller model or lower gpu-memory-utilization / max-model-len, or give the pod more GPUs.',
    runbook: { file: K8S, section: '服务启动问题 / vLLM Serving 启动失败' },
    specificity: 40,
  },
  {
    id: 'model-not-found',
    match: { log: /Model not found|No such file or directory: .*(model|\.safetensors|\.bin)/i },
    cause: 'The model path is wrong or the model was not downloaded (模型路径错误).',
    suggestedFix: 'Check the PVC mount and the model download; fix the model path in the serving arguments.',
    runbook: { file: K8S, section: '服务启动问题 / vLLM Serving 启动失败' },
    specificity: 40,
  },
  {
    id: 'cuda-unavailable',
    match: { log: /CUDA not available|no CUDA-capable device|CUDA driver version is insufficient/i },
    cause: 'The node has no usable GPU driver (GPU 驱动问题).',
    suggestedFix:
      "Check the node's CUDA/driver installation and the NVIDIA device plugin; move the pod to a GPU node.",
    runbook: { file: K8S, section: '服务启动问题 / vLLM Serving 启动失败' },
    specificity: 40,
  },
  {
    id: 'disk-full',
    match: { log: /No space left on device|ENOSPC|disk full/i },
    cause: 'A volume the container writes to is full (存储空间不足).',
    suggestedFix:
      'Check the PVCs (`kubectl get pvc -n <namespace>`); expand the PVC if its StorageClass allows, or clean old data (e.g. backups older than 30 days).',
    runbook: { file: K8S, section: '存储问题 / MinIO 存储空间不足' },
    specificity: 40,
  },
  {
    id: 'port-in-use',
    match: { log: /Address already in use|Port \d+ already in use|EADDRINUSE/i },
    cause: 'The port the service listens on is already taken (端口冲突).',
    suggestedFix: 'Check containerPort and Service ports and any sidecar listening on the same port.',
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败' },
    specificity: 40,
  },
  {
    id: 'dns-resolution',
    match: {
      log: /DNS resolution failed|Temporary failure in name resolution|Name or service not known|getaddrinfo (ENOTFOUND|EAI_AGAIN)|no such host/i,
    },
    cause: 'A service name does not resolve (DNS resolution failed).',
    suggestedFix:
      'Check the service name and namespace (`nslookup <svc>.<ns>.svc.cluster.local` from a debug pod), CoreDNS health, and NetworkPolicies that block DNS egress.',
    runbook: { file: K8S, section: '网络问题 / 服务间通信失败' },
    specificity: 40,
  },
  {
    id: 'cors',
    match: {
      log: /blocked by CORS policy|CORS (error|request did not succeed)|No 'Access-Control-Allow-Origin' header/i,
    },
    cause: 'Browser requests are refused by the API’s CORS settings (跨域错误).',
    suggestedFix:
      'Check the API CORS settings or the reverse-proxy configuration; a restart will not change them.',
    runbook: { file: COMPOSE, section: '前端问题 / API 跨域错误' },
    specificity: 40,
  },
  {
    id: 'data-corrupted',
    match: { log: /Corrupted data file|data (file )?corrupt|Segment load failed/i },
    cause: 'Stored data is corrupted (数据损坏).',
    suggestedFix:
      'Check the disk and file system, then restore from the latest backup; restarting repeats the failure.',
    runbook: { file: AIKV, section: '数据问题 / 数据损坏' },
    specificity: 40,
  },
  {
    id: 'permission-denied',
    match: { log: /Permission denied|EACCES/ },
    cause: 'The process may not read or write a file or directory it needs (权限不足).',
    suggestedFix: 'Check the data directory ownership and securityContext (runAsUser, fsGroup) of the pod.',
    runbook: { file: AIKV, section: '启动问题 / 启动后立即退出' },
    specificity: 30,
  },

  // ---- Generic network failures --------------------------------------------------------
  {
    id: 'connection-refused',
    match: { log: /Connection refused|ECONNREFUSED|connect: connection refused/i },
    cause: 'A dependency refused the connection: it is down or its Service has no ready endpoints.',
    suggestedFix:
      'Find which host the log names, check its pods and `kubectl get endpoints`, and NetworkPolicies (`kubectl get networkpolicy -n <namespace>`); restart once it answers.',
    runbook: { file: K8S, section: '网络问题 / 服务间通信失败' },
    specificity: 20,
  },
  {
    id: 'connection-timeout',
    match: { log: /Connection timed out|connect ETIMEDOUT|i\/o timeout|context deadline exceeded/i },
    cause: 'A dependency does not answer in time: it is overloaded, or the network path is blocked.',
    suggestedFix:
      'Test connectivity from a debug pod (`nc -zv <host> <port>`), check NetworkPolicies and the dependency’s load.',
    runbook: { file: OTLP, section: '常见故障场景 / 网络连接问题' },
    specificity: 20,
  },

  // ---- How the container died, without a reason ---------------------------------------
  {
    id: 'sigkill',
    match: { terminationReason: ['Error'], exitCodes: [137] },
    cause:
      'The container was killed with SIGKILL (exit code 137): a failing liveness probe, or memory pressure on the node.',
    suggestedFix:
      'Check the liveness probe (timeouts, initialDelaySeconds) in the events and the node memory conditions.',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
    specificity: 15,
  },
  {
    id: 'sigterm',
    match: { terminationReason: ['Error', 'Completed'], exitCodes: [143] },
    cause: 'The container was stopped with SIGTERM (exit code 143), usually by a failing liveness probe.',
    suggestedFix:
      'Check the liveness probe and the "Unhealthy" / "Killing" events; make sure the health endpoint answers.',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
    specificity: 15,
  },
  {
    id: 'readiness-failing',
    match: { runningNotReady: true },
    cause: 'The container runs but its readiness probe fails, so it gets no traffic.',
    suggestedFix:
      'Call the health endpoint (`/api/v1/health`) from inside the pod and check the dependencies it reports.',
    runbook: { file: HANDBOOK, section: '日常运维 / 健康检查' },
    specificity: 10,
  },
  {
    id: 'crash-loop',
    match: { waitingReason: ['CrashLoopBackOff'] },
    cause: 'The application exits on start and Kubernetes keeps restarting it (CrashLoopBackOff).',
    suggestedFix:
      'Read the previous container log (`kubectl logs <pod> --previous`) and the pod events; check ConfigMap/Secret configuration and dependent services.',
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
    specificity: 5,
  },
];
