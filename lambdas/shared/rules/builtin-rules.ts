import type { RuleInput } from './rule-schema';

/**
 * The built-in rules: the symptom → cause → fix rows of the runbooks in reference/runbooks/,
 * as data in the same schema as a user's rules file (rule-schema.ts). Each cites its runbook
 * file and section. Causes and fixes use placeholders ({namespace}, {workload}, {service},
 * {key}...) so they speak of the incident's own objects, never the runbook's examples.
 *
 * Confidence tiers: a container state or event that names its cause (OOMKilled, a missing
 * Secret key, FailedScheduling) 0.95; a failing dependency named in the log, resolved in the
 * cluster, 0.9; a failure class of the last log line 0.8-0.9; a generic network failure 0.75;
 * how a container died without a reason 0.55-0.6; "something is wrong" (CrashLoopBackOff,
 * readiness) below 0.5, where the flow does not act on its own.
 */

const K8S = 'one-data-studio-kubernetes-troubleshooting.md';
const COMPOSE = 'one-data-studio-compose-troubleshooting.md';
const OTLP = 'otlp-app-troubleshooting.md';
const AIKV = 'aikv-troubleshooting.md';
const HANDBOOK = 'one-data-studio-operations-handbook.md';

const NETWORK = [
  'connection-refused',
  'timeout',
  'network-unreachable',
  'connection-reset',
  'dependency-not-ready',
] as const;

export const BUILTIN_RULES: readonly RuleInput[] = [
  // ---- Nothing wrong now -----------------------------------------------------------------
  {
    id: 'healthy-now',
    when: [{ workload: { state: ['healthy', 'progressing'] } }],
    cause:
      '{workload} is {reason} now ({line}): the alert is stale, or it recovered (a restart already happened).',
    fix: 'Nothing to change now: the health read right before any write leaves {kind} {namespace}/{workload} alone while it stays healthy or its rollout progresses (`kubectl rollout status {kind}/{workload} -n {namespace}`). If the alert keeps firing, check the alert rule.',
    // Routed through the health read before a restart, which writes nothing while the workload is
    // healthy or its rollout progresses cleanly ("healthy at action time; no action").
    remediation: 'restart',
    reason:
      '{workload} is {reason} now: the health read right before any write is expected to confirm it, and then nothing is changed',
    // A rollout that progresses cleanly outweighs what a generic rule reads in the crashed pods it
    // replaces, not a cause that names itself there (OOMKilled may come back in the new pods).
    confidence: 0.9,
    // Every pod ready with nothing wrong: what the cluster shows now outweighs any history.
    raise: [{ when: [{ workload: { state: 'healthy' } }], confidence: 0.97 }],
    runbook: { file: OTLP, section: '应急响应程序 / 1. P0级故障响应 (检查恢复)' },
  },

  // ---- Container and pod states that name their cause ---------------------------------
  {
    id: 'oom-killed',
    when: [{ termination: { reason: 'OOMKilled' } }],
    cause:
      'Container {container} of {workload} exceeded its memory limit and was killed by the kernel (OOMKilled, exit code 137).',
    fix: 'Raise resources.limits.memory of container {container} in {kind} {namespace}/{workload} (the handbook sizes Data API at 512Mi-2Gi, Agent API at 1Gi-4Gi) or find the leak (tracemalloc / heap profile); a restart only frees memory until it fills again.',
    remediation: 'none',
    confidence: 0.95,
    runbook: { file: COMPOSE, section: '性能问题 / 高内存使用' },
  },
  {
    id: 'image-pull-failure',
    when: [
      { waiting: { reason: ['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull'] } },
    ],
    cause:
      'The image of container {container} cannot be pulled ({reason}): wrong image name or tag, or missing registry credentials.',
    fix: 'Check the image and tag of container {container} in {kind} {namespace}/{workload} (`kubectl describe pod {pod} -n {namespace}`), that the registry is reachable, and imagePullSecrets[[; roll back to revision {previousRevision} if a bad tag was deployed]].',
    remediation: 'none',
    confidence: 0.95,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
  },
  {
    id: 'container-config-error',
    when: [{ waiting: { reason: ['CreateContainerConfigError', 'CreateContainerError'] } }],
    cause:
      'Container {container} of {workload} cannot be created ({reason}): {line}. Usually a ConfigMap or Secret (or one of its keys) it references is missing.',
    fix: 'Fix what the kubelet reports: create the missing {resourceKind} {resource} / key {key} in namespace {namespace} (`kubectl get configmap,secret -n {namespace}`) or fix the reference (or the securityContext) in {kind} {workload}; a restart will not help.',
    remediation: 'none',
    confidence: 0.95,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (配置错误: 检查ConfigMap和Secret配置)' },
  },
  {
    id: 'missing-reference',
    when: [{ resource: { kind: ['ConfigMap', 'Secret'], state: ['missing', 'missing-key'] } }],
    cause:
      '{resourceKind} {resource} (key {key}) referenced by {workload} is missing in namespace {namespace}.',
    fix: 'Create {resourceKind} {resource} with key {key} in namespace {namespace}, or fix the reference in {kind} {workload}; then the pods start on their own. A restart will not help.',
    remediation: 'none',
    confidence: 0.93,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (配置错误: 检查ConfigMap和Secret配置)' },
  },
  {
    id: 'unschedulable',
    when: [
      {
        anyOf: [
          { condition: { on: 'Pod', type: 'PodScheduled', status: 'False', reason: 'Unschedulable' } },
          { event: { reason: 'FailedScheduling' } },
        ],
      },
    ],
    cause:
      'Pods of {workload} cannot be scheduled: no node has the CPU, memory or GPU they request, or the node selector/taints exclude every node.',
    fix: 'Compare the requests of {kind} {namespace}/{workload} with node capacity (`kubectl describe node`, `nvidia.com/gpu` for GPU workloads) and check its nodeSelector and tolerations; add capacity or lower the requests.',
    remediation: 'none',
    confidence: 0.95,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (资源不足: 检查资源限制和请求)' },
  },
  {
    id: 'pvc-not-bound',
    when: [
      {
        anyOf: [
          { resource: { kind: 'PersistentVolumeClaim', state: ['missing', 'Pending', 'Lost'] } },
          { event: { reason: ['FailedMount', 'FailedAttachVolume'] } },
        ],
      },
    ],
    cause:
      'A volume of {workload} cannot be mounted: {resourceKind} {resource} is not bound or the mount fails.',
    fix: 'Check `kubectl get pvc -n {namespace}` and `kubectl describe pod {pod} -n {namespace}` (FailedMount): create or bind the claim {resource}, check the StorageClass and the ConfigMap/Secret volumes; a restart will not help.',
    remediation: 'none',
    confidence: 0.92,
    runbook: { file: HANDBOOK, section: '故障排查 / 紧急恢复流程 / 数据库连接失败 (检查 PVC)' },
  },
  {
    id: 'failed-create',
    when: [{ event: { reason: 'FailedCreate', kind: ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'] } }],
    cause:
      'The controller of {workload} cannot create its pods: the API server refuses them (quota, LimitRange, admission policy or a missing service account).',
    fix: 'Read the FailedCreate event (`kubectl get events -n {namespace} --field-selector reason=FailedCreate`), then check `kubectl describe quota,limitrange -n {namespace}` and the service account of {kind} {workload}; a restart creates the same pods.',
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (资源不足: 检查资源限制和请求)' },
  },
  {
    id: 'pod-sandbox-failure',
    when: [{ event: { reason: ['FailedCreatePodSandBox', 'FailedKillPodSandBox'] } }],
    cause: "The node cannot create the pod's sandbox (network/CNI or runtime failure) for {workload}.",
    fix: 'Check the CNI (aws-node) and the node of pod {pod}: IP addresses left in the subnet, `kubectl describe pod {pod} -n {namespace}`; cordon the node if it keeps failing.',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: OTLP, section: '常见故障场景 / 网络连接问题' },
  },
  {
    id: 'node-not-ready',
    when: [
      {
        anyOf: [
          { condition: { on: 'Node', type: 'Ready', status: ['False', 'Unknown'] } },
          { condition: { on: 'Node', type: 'MemoryPressure', status: 'True' } },
          { condition: { on: 'Node', type: 'DiskPressure', status: 'True' } },
          { condition: { on: 'Node', type: 'PIDPressure', status: 'True' } },
        ],
      },
    ],
    cause: 'Node {node} running pods of {workload} is unhealthy ({reason}).',
    fix: 'Check node {node} (`kubectl describe node {node}`); cordon and drain it so the pods of {workload} move to healthy nodes.',
    remediation: 'none',
    confidence: 0.8,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (资源不足)' },
  },
  {
    id: 'evicted',
    when: [{ event: { reason: ['Evicted', 'Preempted'] } }],
    cause: 'Pods of {workload} were evicted by the kubelet (node pressure or ephemeral-storage limit).',
    fix: "Check the eviction message and the node's pressure conditions; set ephemeral-storage requests/limits or memory requests for {kind} {namespace}/{workload}.",
    remediation: 'none',
    confidence: 0.8,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (资源不足)' },
  },
  {
    id: 'init-container-failing',
    when: [
      { termination: { init: true } },
      {
        log: {
          class: [...NETWORK, 'dns-resolution', 'schema-migration', 'auth-failure'],
          decisive: true,
          init: true,
        },
      },
    ],
    cause:
      'Init container {container} of {workload} fails ({class}): the app containers never start until what it waits for answers.',
    fix: 'Read `kubectl logs {pod} -c {container} -n {namespace} --previous`: {line}. Check what init container {container} waits for ({service|host} in {serviceNamespace|namespace}: `kubectl get svc,endpoints -n {serviceNamespace|namespace}`); once it answers, the pod starts on its own.',
    remediation: 'wait-for-dependency',
    // An init container exists to check or prepare a dependency: its failure says more than the
    // generic class of the same line (a DNS failure of `nc -z otel-collector` is a missing collector).
    confidence: 0.85,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (依赖服务不可用)' },
  },

  // ---- Dependencies named in the logs, by what the runbooks say about each -------------
  {
    id: 'mysql-unreachable',
    when: [{ log: { class: [...NETWORK, 'dns-resolution'], technology: 'mysql' } }],
    cause: 'MySQL is not ready or not reachable (MySQL 未就绪).',
    fix: 'Check the MySQL pods and Service {serviceNamespace|namespace}/{service|host} (`kubectl get pods,endpoints -n {serviceNamespace|namespace}`) and wait until MySQL is Ready; once the database is up, a rollout restart recovers the workload (`kubectl rollout restart {kind}/{workload} -n {namespace}`).',
    remediation: 'wait-for-dependency',
    confidence: 0.9,
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败' },
  },
  {
    id: 'mysql-access-denied',
    when: [{ log: { class: 'auth-failure', technology: ['mysql', 'postgres'] } }],
    cause: 'The database rejected the credentials of {workload} (数据库凭证错误).',
    fix: 'Check the Secret that holds the database user and password of {kind} {namespace}/{workload} against the database grants; a restart will not help until they match.',
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败' },
  },
  {
    id: 'mysql-table-missing',
    when: [{ log: { class: 'schema-migration' } }],
    cause: 'The database schema of {workload} is not initialised or not migrated (数据库未初始化): {line}',
    fix: 'Run the migrations: `kubectl exec -n {namespace} deploy/{workload} -- python -m alembic upgrade head`, or apply the db-init Job; a restart will not create the tables.',
    remediation: 'none',
    confidence: 0.88,
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败 (数据库初始化)' },
  },
  {
    id: 'mysql-disk-full',
    when: [{ log: { class: 'disk-full', technology: 'mysql' } }],
    cause: "MySQL's disk is full (数据库磁盘空间不足): {line}",
    fix: 'Free space (old data, binlogs: `PURGE BINARY LOGS`), expand the MySQL volume (`kubectl get pvc -n {serviceNamespace|namespace}`), or archive data; then restart.',
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: COMPOSE, section: '数据库问题 / 数据库磁盘空间不足' },
  },
  {
    id: 'milvus-unreachable',
    when: [{ log: { class: [...NETWORK, 'dns-resolution'], technology: 'milvus' } }],
    cause: 'The Milvus proxy is not ready or not reachable (Milvus Proxy 未就绪).',
    fix: 'Check the Milvus StatefulSets and their etcd/MinIO dependencies (`kubectl get pods -n {serviceNamespace|namespace} | grep milvus`), test `nc -zv {service|host}.{serviceNamespace|namespace}.svc.cluster.local {port}`; restart {workload} once Milvus is up.',
    remediation: 'wait-for-dependency',
    confidence: 0.9,
    runbook: { file: K8S, section: '服务启动问题 / Bisheng API 启动失败' },
  },
  {
    id: 'milvus-collection-missing',
    when: [{ log: { class: 'missing-object', pattern: 'collection' } }],
    cause: 'The vector collection {workload} needs has not been created (向量集合未创建): {line}',
    fix: 'Run the collection initialisation script against Milvus for {namespace}/{workload}; a restart will not create it.',
    remediation: 'none',
    confidence: 0.88,
    runbook: { file: K8S, section: '服务启动问题 / Bisheng API 启动失败' },
  },
  {
    id: 'redis-unreachable',
    when: [{ log: { class: [...NETWORK, 'dns-resolution'], technology: 'redis' } }],
    cause: 'Redis is not running or not reachable (Redis 未启动).',
    fix: 'Check the Redis pod and Service {serviceNamespace|namespace}/{service|host} (`kubectl get pods,endpoints -n {serviceNamespace|namespace}`); restart {workload} once Redis answers PING.',
    remediation: 'wait-for-dependency',
    confidence: 0.9,
    runbook: { file: K8S, section: '服务启动问题 / Bisheng API 启动失败' },
  },
  {
    id: 'minio-unreachable',
    when: [{ log: { class: [...NETWORK, 'dns-resolution'], technology: 'minio' } }],
    cause: 'MinIO (object storage) is not reachable from {workload}.',
    fix: 'Check MinIO (`curl http://{service|host}.{serviceNamespace|namespace}.svc.cluster.local:9000/minio/health/live`) and its pods; restart {workload} once it answers.',
    remediation: 'wait-for-dependency',
    confidence: 0.88,
    runbook: { file: K8S, section: '集成问题 / Kettle 作业执行失败 (检查 MinIO 连接)' },
  },
  {
    id: 'etcd-unreachable',
    when: [{ log: { class: [...NETWORK, 'dns-resolution'], technology: 'etcd' } }],
    cause: 'etcd (the Milvus metadata store) is not reachable or has no leader.',
    fix: 'Check the etcd pods of Milvus (`kubectl get pods -n {serviceNamespace|namespace} | grep etcd`) and their quorum; Milvus and {workload} recover once etcd is healthy.',
    remediation: 'wait-for-dependency',
    // Below dependency-down: etcd is a Milvus component, and the compose row's cause is the component itself being down.
    confidence: 0.86,
    runbook: { file: COMPOSE, section: '向量数据库问题 / Milvus 连接失败 (milvus-etcd)' },
  },
  {
    id: 'kafka-unreachable',
    when: [{ log: { class: [...NETWORK, 'dns-resolution'], technology: 'kafka' } }],
    cause: 'The Kafka brokers are not reachable from {workload}.',
    fix: 'Check the Kafka brokers and Service {serviceNamespace|namespace}/{service|host}, and the advertised listeners; restart {workload} once they answer.',
    remediation: 'wait-for-dependency',
    confidence: 0.85,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (依赖服务不可用)' },
  },
  {
    id: 'dependency-down',
    when: [{ log: { class: [...NETWORK, 'dns-resolution'] } }, { dependency: { state: 'down' } }],
    cause: '{workload} cannot reach {service} ({serviceNamespace}), which has no ready endpoints.',
    fix: 'Bring {service} in {serviceNamespace} back (`kubectl get pods,endpoints -n {serviceNamespace|namespace}`, then its own logs and events); {workload} recovers with a restart once {service} is ready.',
    remediation: 'wait-for-dependency',
    confidence: 0.88,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (依赖服务不可用)' },
  },
  {
    id: 'dependency-refuses-while-ready',
    when: [{ log: { class: 'connection-refused', decisive: true } }, { dependency: { state: 'up' } }],
    cause:
      '{service} ({serviceNamespace}) has ready endpoints, yet refuses connections from {workload}: it may listen on 127.0.0.1 only or on another port, or it came up after {workload} gave up.',
    fix: 'Check what {service} listens on (`ss -tlnp` in its pod; bind to 0.0.0.0) and that port {port} is its Service port; if it simply started late, `kubectl rollout restart {kind}/{workload} -n {namespace}`.',
    remediation: 'restart',
    // The error kind and the dependency's own state together: more specific than either alone.
    // Below a technology the line names in its own words ("Can't connect to MySQL server" while
    // mysql is Ready again: it came up after the client gave up, mysql-unreachable's restart).
    confidence: 0.8,
    runbook: { file: AIKV, section: '连接问题 / 1. 连接被拒绝 (确认监听地址)' },
  },
  {
    id: 'dependency-port-mismatch',
    when: [{ log: { class: [...NETWORK] } }, { dependency: { state: 'port-mismatch' } }],
    cause:
      '{workload} connects to {service} on port {port}, which the Service {serviceNamespace|namespace}/{service|host} does not serve.',
    fix: 'Fix the port {workload} uses for {service} (its env/ConfigMap), or the Service ports; a restart will not help.',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: K8S, section: '网络问题 / 服务间通信失败' },
  },
  {
    id: 'dependency-auth-failure',
    when: [{ log: { class: 'auth-failure' } }],
    cause: '{workload} is refused for its credentials (authentication failure): {line}',
    fix: 'Check the Secret with the credentials {workload} uses (`kubectl get secret -n {namespace}`; keys only) against the server it logs in to (Keycloak/JWT, Redis AUTH, MinIO keys); a restart will not help.',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: HANDBOOK, section: '故障排查 / 常见问题 / 3. 认证失败' },
  },

  // ---- Failure classes of the application's own last lines -----------------------------
  {
    id: 'gpu-out-of-memory',
    when: [{ log: { class: 'gpu-oom' } }],
    cause: 'The model does not fit in GPU memory (模型太大或 GPU 不足): {line}',
    fix: 'Use a smaller model or lower --gpu-memory-utilization / --max-model-len of {workload}, or give it more GPUs (`kubectl describe node | grep -A5 nvidia.com/gpu`).',
    remediation: 'none',
    confidence: 0.92,
    runbook: { file: K8S, section: '服务启动问题 / vLLM Serving 启动失败' },
  },
  {
    id: 'model-not-found',
    when: [
      {
        anyOf: [
          {
            log: { class: 'missing-object', pattern: 'model|tokenizer|safetensors|config\\.json|repository' },
          },
          {
            log: { class: 'missing-file', pattern: 'model|\\.safetensors|\\.bin|\\.gguf|tokenizer|weights' },
          },
        ],
      },
    ],
    cause: 'The model path of {workload} is wrong or the model was not downloaded (模型路径错误): {line}',
    fix: 'Check the model volume of {kind} {namespace}/{workload} (`kubectl get pvc -n {namespace}`, the mount path) and the model download; fix the model path in its arguments.',
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: K8S, section: '服务启动问题 / vLLM Serving 启动失败' },
  },
  {
    id: 'cuda-unavailable',
    when: [{ log: { class: 'gpu-unavailable' } }],
    cause: 'No usable GPU for {workload}: the CUDA driver or device is missing (GPU 驱动问题): {line}',
    fix: "Check the node's NVIDIA driver and device plugin (`kubectl describe node | grep nvidia.com/gpu`), the nvidia.com/gpu request and the node selector of {workload}.",
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: K8S, section: '服务启动问题 / vLLM Serving 启动失败' },
  },
  {
    id: 'disk-full',
    when: [{ log: { class: 'disk-full' } }],
    cause: 'A volume {workload} writes to is full (存储空间不足): {line}',
    fix: 'Check the claims of {workload} (`kubectl get pvc -n {namespace}`); expand the PVC if its StorageClass allows, or clean old data (e.g. `mc rm --recursive --older-than 30d`).',
    remediation: 'none',
    confidence: 0.88,
    runbook: { file: K8S, section: '存储问题 / MinIO 存储空间不足' },
  },
  {
    id: 'port-in-use',
    when: [{ log: { class: 'port-in-use' } }],
    cause: 'The port {workload} listens on is already taken (端口冲突): {line}',
    fix: 'Check the containerPort and Service ports of {kind} {namespace}/{workload} and any sidecar or second process listening on the same port; a restart will not help.',
    remediation: 'none',
    confidence: 0.88,
    runbook: { file: K8S, section: '服务启动问题 / Alldata API 启动失败' },
  },
  {
    id: 'dns-resolution',
    when: [{ log: { class: 'dns-resolution' } }],
    cause: '{workload} cannot resolve {host} (DNS resolution failed).',
    fix: 'Check the name {host} {workload} uses (`kubectl get svc -A | grep {host}`; `nslookup {host}` from a debug pod in {namespace}), CoreDNS health and NetworkPolicies that block DNS egress.',
    remediation: 'none',
    confidence: 0.82,
    runbook: { file: K8S, section: '网络问题 / 服务间通信失败' },
  },
  {
    id: 'connection-refused',
    when: [{ log: { class: ['connection-refused', 'network-unreachable'] } }],
    cause:
      'A dependency of {workload} ({host}) refused the connection: it is down or its Service has no ready endpoints.',
    fix: 'Check {service|host} and its endpoints (`kubectl get pods,endpoints -n {serviceNamespace|namespace}`), that {workload} uses its Service port, and NetworkPolicies (`kubectl get networkpolicy -n {namespace}`); restart {workload} once it answers.',
    remediation: 'wait-for-dependency',
    confidence: 0.75,
    runbook: { file: K8S, section: '网络问题 / 服务间通信失败' },
  },
  {
    id: 'connection-timeout',
    when: [{ log: { class: 'timeout' } }],
    cause:
      'A dependency of {workload} ({host}) does not answer in time: it is overloaded, or the network path is blocked.',
    fix: 'Test `nc -zv {service|host} {port}` from a debug pod in {namespace}, check NetworkPolicies (`kubectl get networkpolicy -n {namespace}` and in {serviceNamespace|namespace}), firewalls and security groups, and the dependency’s load.',
    // Both runbooks answer a timeout with the network (a NetworkPolicy, a firewall): a restart of
    // the client cannot open it. A dependency that is down is dependency-down, which ranks higher.
    remediation: 'none',
    confidence: 0.75,
    // The dependency answers its own readiness probe but not this client: the path between them.
    raise: [{ when: [{ dependency: { state: 'up' } }], confidence: 0.92 }],
    runbook: { file: OTLP, section: '常见故障场景 / 网络连接问题' },
  },
  {
    id: 'connection-reset',
    when: [{ log: { class: 'connection-reset' } }],
    cause:
      'Connections of {workload} to {host} are reset: the server hit its connection limit, timed the client out, or exited.',
    fix: 'Check the server {workload} talks to ({service|host} in {serviceNamespace|namespace}): `INFO clients` / `CLIENT LIST` for Redis-compatible stores, `SHOW PROCESSLIST` for MySQL, and whether it restarted (`kubectl get pods -n {serviceNamespace|namespace}`).',
    remediation: 'wait-for-dependency',
    confidence: 0.7,
    // Reset by a dependency that is Ready: its connection limit or a restart of it, not an outage.
    raise: [{ when: [{ dependency: { state: 'up' } }], confidence: 0.92 }],
    runbook: { file: AIKV, section: '连接问题 / 3. 连接被重置' },
  },
  {
    id: 'connection-pool-exhausted',
    when: [{ log: { class: 'connection-limit' } }],
    cause: '{workload} runs out of connections (pool or server limit): {line}',
    fix: 'Size the connection pool of {workload} (20-50) against the server max_connections / maxclients; look for leaked connections and slow queries.',
    remediation: 'none',
    confidence: 0.8,
    runbook: { file: K8S, section: '性能问题 / API 响应缓慢 (数据库连接池)' },
  },
  {
    id: 'tls-certificate',
    when: [{ log: { class: 'tls-error' } }],
    cause:
      'A TLS handshake of {workload} fails (certificate not trusted, expired or for another name): {line}',
    fix: 'Check the certificate (`kubectl get certificate -n {namespace}`, `kubectl describe certificate`), its expiry and names, and the CA bundle {workload} trusts.',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: K8S, section: '网络问题 / Ingress 配置错误 (检查 TLS 证书)' },
  },
  {
    id: 'missing-config',
    when: [{ log: { class: 'missing-config' } }],
    cause: '{workload} is missing a configuration value: {line}',
    fix: 'Add the missing setting to the ConfigMap/Secret or env of {kind} {namespace}/{workload} (`kubectl get configmap,secret -n {namespace}`), then restart it[[; roll back to revision {previousRevision} if the release dropped it]].',
    remediation: 'none',
    confidence: 0.82,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (配置错误: 检查ConfigMap和Secret配置)' },
  },
  {
    id: 'invalid-config',
    when: [{ log: { class: 'invalid-config' } }],
    cause: 'The configuration of {workload} is invalid (配置错误): {line}',
    fix: 'Fix the configuration file or values of {kind} {namespace}/{workload} (its ConfigMap, arguments; `nginx -t` for nginx); a restart reads the same file again.',
    remediation: 'none',
    confidence: 0.82,
    runbook: { file: AIKV, section: '启动问题 / 2. 启动后立即退出 (Invalid configuration)' },
  },
  {
    id: 'permission-denied',
    when: [{ log: { class: ['permission-denied', 'read-only-fs'] } }],
    cause: 'The process of {workload} may not read or write a file or directory it needs (权限不足): {line}',
    fix: 'Check the data directory ownership and the securityContext (runAsUser, fsGroup, readOnlyRootFilesystem) of {kind} {namespace}/{workload}.',
    remediation: 'none',
    confidence: 0.82,
    runbook: { file: AIKV, section: '启动问题 / 2. 启动后立即退出 (Permission denied)' },
  },
  {
    id: 'rbac-forbidden',
    when: [
      {
        log: {
          class: 'auth-failure',
          pattern:
            'forbidden: User "system:serviceaccount|cannot (get|list|watch|create|update|patch|delete) resource',
        },
      },
    ],
    cause: 'The service account of {workload} lacks RBAC permissions (权限问题): {line}',
    fix: 'Grant the Role/ClusterRole the service account of {kind} {namespace}/{workload} needs (`kubectl auth can-i --as=system:serviceaccount:{namespace}:<sa> ...`).',
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (权限问题: 检查RBAC配置)' },
  },
  {
    id: 'missing-file',
    when: [{ log: { class: 'missing-file' } }],
    cause: 'A path {workload} needs does not exist (路径不存在): {line}',
    fix: 'Create the data directory or mount the volume that holds it in {kind} {namespace}/{workload}; check volumeMounts and the config path.',
    remediation: 'none',
    confidence: 0.78,
    runbook: { file: AIKV, section: '启动问题 / 2. 启动后立即退出 (No such file or directory)' },
  },
  {
    id: 'missing-executable',
    when: [
      {
        anyOf: [
          { log: { class: ['missing-executable', 'missing-module'] } },
          { termination: { exitCode: [126, 127] } },
          { waiting: { reason: ['RunContainerError', 'StartError', 'ContainerCannotRun'] } },
        ],
      },
    ],
    cause:
      'The command or a library of container {container} is missing or not executable (依赖库缺失): {line}',
    fix: 'Check the image of {kind} {namespace}/{workload} (entrypoint, `ldd` of the binary, installed packages and architecture)[[; roll back to revision {previousRevision} if the new image lost them]].',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: AIKV, section: '启动问题 / 1. 服务无法启动 (1.4 检查依赖库)' },
  },
  {
    id: 'heap-exhausted',
    when: [
      {
        anyOf: [{ log: { class: 'out-of-memory' } }, { termination: { exitCode: 134 } }],
      },
    ],
    cause: 'The process of {workload} ran out of memory inside its runtime (heap exhausted): {line}',
    fix: 'Raise the heap (NODE_OPTIONS=--max-old-space-size, -Xmx) together with resources.limits.memory of {kind} {namespace}/{workload}, or find the leak; a restart only frees memory until it fills again.',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: COMPOSE, section: '性能问题 / 高内存使用' },
  },
  {
    id: 'redis-maxmemory',
    when: [{ log: { pattern: "OOM command not allowed|used memory > 'maxmemory'" } }],
    cause: 'The Redis-compatible store {host} is at maxmemory and refuses writes (内存使用过高).',
    fix: 'Check `INFO memory` and big keys (`redis-cli --bigkeys`) of the store; set TTLs, clean unused data, raise maxmemory or shard.',
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: AIKV, section: '性能问题 / 2. 内存使用过高' },
  },
  {
    id: 'redis-command-error',
    when: [
      {
        log: {
          pattern: 'WRONGTYPE Operation against a key|ERR wrong number of arguments|ERR unknown command',
        },
      },
    ],
    cause:
      '{workload} sends commands the Redis-compatible store rejects (wrong key type or syntax): an application bug, not an outage: {line}',
    fix: 'Check the key type (`TYPE <key>`) and the command syntax {workload} uses; fix the code or the data. A restart repeats it.',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: AIKV, section: '命令执行问题 / 1. 命令返回错误' },
  },
  {
    id: 'aikv-cluster-join',
    when: [{ log: { pattern: 'Waiting for the cluster to join' } }],
    cause:
      '`redis-cli --cluster create` waits forever: AiKv syncs cluster state through Multi-Raft, not the Redis gossip bus.',
    fix: 'Build the cluster by hand: `CLUSTER MEET` each node, `CLUSTER ADDSLOTS` the 16384 slots, then check `CLUSTER INFO`; make sure the Raft RPC ports (50051...) are reachable.',
    remediation: 'none',
    confidence: 0.9,
    runbook: { file: AIKV, section: '集群问题 / 1. 集群初始化卡住 - "Waiting for the cluster to join"' },
  },
  {
    id: 'redis-cluster-down',
    when: [{ log: { pattern: 'CLUSTERDOWN|cluster_state:fail|MOVED \\d+ |MASTERDOWN' } }],
    cause:
      'The Redis-compatible cluster {workload} uses is not serving (slots unassigned, nodes lost, or a client without cluster mode): {line}',
    fix: 'Check `CLUSTER INFO` and `CLUSTER NODES` (all 16384 slots assigned, no failed nodes); use a cluster-aware client (`redis-cli -c`) for MOVED replies.',
    remediation: 'none',
    confidence: 0.92,
    runbook: { file: AIKV, section: '集群问题 / 1. 集群状态异常' },
  },
  {
    id: 'data-corrupted',
    when: [{ log: { class: 'data-corruption' } }],
    cause: 'Stored data of {workload} is corrupted (数据损坏): {line}',
    fix: 'Check the disk and file system of the volume of {workload}, then restore from the latest backup (or rebuild the Milvus index); restarting repeats the failure.',
    remediation: 'none',
    confidence: 0.88,
    runbook: { file: AIKV, section: '数据问题 / 2. 数据损坏' },
  },
  {
    id: 'bucket-missing',
    when: [{ log: { class: 'missing-object', pattern: 'bucket|NoSuchKey|specified key' } }],
    cause: 'The object-storage bucket or object {workload} uses does not exist: {line}',
    fix: 'Create the bucket (`mc mb myminio/<bucket>`) or fix the bucket name in the configuration of {kind} {namespace}/{workload}; rerunning will fail the same way.',
    remediation: 'none',
    confidence: 0.88,
    runbook: { file: HANDBOOK, section: '备份恢复 / MinIO 备份' },
  },
  {
    id: 'rate-limited',
    when: [{ log: { class: 'rate-limit' } }],
    cause: '{workload} is rate-limited or over quota by a service it calls: {line}',
    fix: 'Lower the request rate or raise the quota of the upstream service; enable caching and back-off in {workload}.',
    remediation: 'none',
    confidence: 0.75,
    runbook: { file: COMPOSE, section: '常见故障 / API 服务问题 / API 响应缓慢' },
  },
  {
    id: 'cors',
    when: [{ log: { class: 'cors' } }],
    cause: 'Browser requests are refused by the API’s CORS settings (跨域错误).',
    fix: 'Check the CORS settings of {workload} or the reverse-proxy configuration; a restart will not change them.',
    remediation: 'none',
    confidence: 0.8,
    runbook: { file: COMPOSE, section: '前端问题 / API 跨域错误' },
  },
  {
    id: 'service-port-mismatch',
    when: [{ service: { state: 'port-mismatch' } }],
    cause:
      'Service {service} sends traffic to port {port}, which no container of {workload} exposes (502 / connection refused through the Service).',
    fix: 'Make the targetPort of Service {namespace}/{service} match a containerPort of {workload} (or name the port), and the Ingress backend port too.',
    remediation: 'none',
    confidence: 0.8,
    runbook: { file: K8S, section: '网络问题 / Ingress 配置错误 (检查 Service 端口)' },
  },
  {
    id: 'liveness-failing',
    when: [{ event: { reason: 'Unhealthy', message: 'Liveness probe failed' } }],
    cause:
      'The liveness probe of {workload} fails, so the kubelet keeps killing the container (exit 137/143).',
    fix: "Call the probe's endpoint from inside pod {pod}; check the probe's path, port, timeoutSeconds and initialDelaySeconds in {kind} {namespace}/{workload} against how long the app takes to start.",
    remediation: 'none',
    confidence: 0.8,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败 (应用无法响应健康检查)' },
  },

  // ---- Revisions -------------------------------------------------------------------------
  {
    id: 'bad-release',
    when: [{ revision: { currentFailing: true, previousHealthy: true } }],
    cause:
      'Revision {revision} of {workload} fails while revision {previousRevision} was healthy: a bad release.',
    fix: '`kubectl rollout undo {kind}/{workload} -n {namespace} --to-revision={previousRevision}`, then fix what changed in revision {revision} (`kubectl rollout history {kind}/{workload} -n {namespace} --revision={revision}`).',
    remediation: 'rollback',
    confidence: 0.8,
    runbook: { file: OTLP, section: '应急响应程序 / 2. 回滚程序' },
  },

  // ---- Jobs ----------------------------------------------------------------------------
  {
    id: 'job-deadline-exceeded',
    when: [{ job: { failedReason: 'DeadlineExceeded' } }],
    cause: 'Job {workload} ran longer than its activeDeadlineSeconds and was stopped.',
    fix: 'Check why the run of {workload} is slow (its logs, the data volume, the nodes) or raise activeDeadlineSeconds; rerun it once fixed (`kubectl create job --from=cronjob/{cronJob} -n {namespace}`).',
    remediation: 'none',
    confidence: 0.85,
    runbook: { file: HANDBOOK, section: '监控告警 / ML 训练告警 (TrainingJobFailed)' },
  },
  {
    id: 'job-failed',
    when: [
      { job: { failedReason: ['BackoffLimitExceeded', 'PodFailurePolicy', 'MaxFailedIndexesExceeded'] } },
    ],
    cause:
      'Job {workload} failed ({reason}): its pods kept failing; the last one exited with code {exitCode}.',
    fix: 'Read `kubectl logs job/{workload} -n {namespace}` for the error, fix it, then rerun (`kubectl create job --from=cronjob/{cronJob} -n {namespace}` for a CronJob).',
    remediation: 'none',
    confidence: 0.5,
    runbook: { file: HANDBOOK, section: '监控告警 / ML 训练告警 (TrainingJobFailed)' },
  },

  // ---- How a container died, without a reason ----------------------------------------
  {
    id: 'sigsegv',
    when: [{ termination: { exitCode: 139 } }],
    cause: 'Container {container} of {workload} crashed with a segmentation fault (SIGSEGV, exit code 139).',
    fix: 'A native crash: check the image (library versions, CPU architecture) of {kind} {namespace}/{workload}[[; roll back to revision {previousRevision} if it came with a release]].',
    remediation: 'none',
    confidence: 0.6,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
  },
  {
    id: 'sigkill',
    when: [{ termination: { exitCode: 137, reason: ['Error', 'Killed', 'ContainerStatusUnknown'] } }],
    cause:
      'Container {container} of {workload} was killed with SIGKILL (exit code 137): a failing liveness probe, or memory pressure on the node.',
    fix: 'Check the liveness probe (timeouts, initialDelaySeconds) in the events (`kubectl describe pod {pod} -n {namespace}`) and the memory conditions of the node.',
    remediation: 'restart',
    confidence: 0.55,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
  },
  {
    id: 'sigterm',
    when: [{ termination: { exitCode: 143 } }],
    cause:
      'Container {container} of {workload} was stopped with SIGTERM (exit code 143), usually by a failing liveness probe.',
    fix: 'Check the liveness probe and the "Unhealthy" / "Killing" events of pod {pod}; make sure the health endpoint answers in time.',
    remediation: 'restart',
    confidence: 0.55,
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
  },
  {
    id: 'service-no-endpoints',
    when: [{ service: { state: 'no-endpoints' } }, { container: { ready: false } }],
    cause: 'Service {service} of {workload} has no ready endpoints: none of its pods is ready.',
    fix: 'See why the pods of {workload} are not ready (`kubectl describe pod {pod} -n {namespace}`, `kubectl get endpoints {service} -n {namespace}`), then `kubectl rollout restart {kind}/{workload} -n {namespace}` if they are stuck.',
    remediation: 'restart',
    confidence: 0.4,
    // The pods run without crashing and their readiness probe fails: the Service is empty because
    // the service is stuck, which the runbook answers with a restart. Above readiness-failing,
    // which says the same without the Service's side.
    raise: [
      {
        when: [
          { event: { reason: 'Unhealthy', message: 'Readiness probe failed' } },
          { container: { running: true, ready: false, init: false, maxRestarts: 0 } },
        ],
        confidence: 0.65,
      },
    ],
    runbook: { file: OTLP, section: '常见故障场景 / 网络连接问题 (检查Endpoint)' },
  },
  {
    id: 'readiness-failing',
    when: [{ container: { running: true, ready: false, init: false } }],
    cause: 'Container {container} of {workload} runs but its readiness probe fails, so it gets no traffic.',
    fix: 'Call the health endpoint (`/api/v1/health`) from inside pod {pod} and check the dependencies it reports; if the service is stuck, `kubectl rollout restart {kind}/{workload} -n {namespace}`.',
    remediation: 'restart',
    confidence: 0.45,
    // Probe failures of a container that runs without crashing: the handbook's "服务卡住", restarted.
    raise: [
      {
        when: [
          { event: { reason: 'Unhealthy', message: 'Readiness probe failed' } },
          { container: { running: true, ready: false, init: false, maxRestarts: 0 } },
        ],
        confidence: 0.6,
      },
    ],
    runbook: { file: HANDBOOK, section: '日常运维 / 健康检查' },
  },
  {
    id: 'crash-loop',
    when: [
      {
        anyOf: [
          { waiting: { reason: 'CrashLoopBackOff' } },
          // Caught running between two crashes: the restarts say it crash-loops all the same.
          { container: { init: false, minRestarts: 2 } },
        ],
      },
      { termination: {} },
    ],
    cause:
      'Container {container} of {workload} exits on start and Kubernetes keeps restarting it (CrashLoopBackOff, last exit code {exitCode}: {exitMeaning}).',
    fix: 'Read the previous container log (`kubectl logs {pod} -c {container} -n {namespace} --previous`) and the pod events; check the ConfigMap/Secret configuration and dependent services. The P0 response: `kubectl rollout restart {kind}/{workload} -n {namespace}`, wait 60 s, check; roll back if it does not recover.',
    remediation: 'restart',
    confidence: 0.45,
    // The process itself crashed (a panic, an unhandled exception) and nothing more specific
    // explains it: the runbook's P0 response to a crash loop is a restart, then verify, then roll
    // back. Without such a line the cause is unknown and a human decides.
    raise: [{ when: [{ log: { class: 'crash', decisive: true } }], confidence: 0.6 }],
    runbook: { file: OTLP, section: '常见故障场景 / 应用启动失败' },
  },
];
