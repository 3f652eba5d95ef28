import { rollOut, setBehavior } from '../workloads';
import { K8S, app, crash, dependency, healthy, namespace, svc, type RunbookCase } from './case';

/*
 * one-data-studio-kubernetes-troubleshooting.md: Alldata API, Bisheng API, vLLM Serving,
 * storage and network rows. Log lines are worded as the software prints them: uvicorn and
 * SQLAlchemy/PyMySQL for alldata-api, pymilvus/redis-py for bisheng-api, vLLM and PyTorch for
 * vllm-serving, MinIO's own errors, nginx's upstream errors.
 */

const ALLDATA = 'one-data-alldata';
const BISHENG = 'one-data-bisheng';
const CUBE = 'one-data-cube';
const INFRA = 'one-data-infra';
const ALLDATA_IMAGE = 'registry.one-data.io/alldata/alldata-api:3.2.1';
const BISHENG_IMAGE = 'registry.one-data.io/bisheng/bisheng-api:2.1.0';

const uvicornStart = ['INFO:     Started server process [1]', 'INFO:     Waiting for application startup.'];
const uvicornFail = 'ERROR:    Application startup failed. Exiting.';

function alldataApi(logs: string[], extra: Partial<Parameters<typeof app>[0]> = {}) {
  return app({
    namespace: ALLDATA,
    name: 'alldata-api',
    image: ALLDATA_IMAGE,
    port: 8080,
    behavior: crash([...uvicornStart, ...logs, uvicornFail], 3),
    ...extra,
  });
}

function bishengApi(logs: string[]) {
  return app({
    namespace: BISHENG,
    name: 'bisheng-api',
    image: BISHENG_IMAGE,
    port: 7860,
    behavior: crash([...uvicornStart, ...logs, uvicornFail], 3),
  });
}

/** MySQL 8 of one-data-infra, not Ready: InnoDB recovery is still running. */
const mysqlDown = dependency({
  namespace: INFRA,
  name: 'mysql',
  image: 'mysql:8.0.36',
  port: 3306,
  behavior: {
    mode: 'not-ready',
    logs: [
      '2026-11-22T02:58:11.412311Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.36) starting as process 1',
      '2026-11-22T02:58:11.498034Z 1 [System] [MY-013576] [InnoDB] InnoDB initialization has started.',
    ],
  },
});

const mysqlUp = dependency({ namespace: INFRA, name: 'mysql', image: 'mysql:8.0.36', port: 3306 });

function vllm(logs: string[], extra: Partial<Parameters<typeof app>[0]> = {}) {
  return app({
    namespace: CUBE,
    name: 'vllm-serving',
    kind: 'StatefulSet',
    image: 'vllm/vllm-openai:v0.6.3',
    port: 8000,
    command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
    behavior: crash(logs, 1, 20),
    resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { memory: '12Gi' } },
    ...extra,
  });
}

export const KUBERNETES_ROWS: RunbookCase[] = [
  {
    name: 'alldata-mysql-not-ready',
    runbook: {
      file: K8S,
      section: '服务启动问题 / Alldata API 启动失败',
      row: "`Can't connect to MySQL server` → MySQL 未就绪 → 检查 MySQL Pod 状态，等待就绪",
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...mysqlDown,
      alldataApi([
        'alldata.db INFO Connecting to mysql+pymysql://alldata@mysql.one-data-infra:3306/one_data_studio',
        `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' ([Errno 111] Connection refused)")`,
        '(Background on this error at: https://sqlalche.me/e/20/e3q8)',
      ]),
    ],
    expect: { ruleId: 'mysql-unreachable', action: 'wait-for-dependency', fixMentions: ['mysql', INFRA] },
  },
  {
    name: 'alldata-mysql-access-denied',
    runbook: {
      file: K8S,
      section: '服务启动问题 / Alldata API 启动失败',
      row: '`Access denied for user` → 数据库凭证错误 → 检查 Secret 配置',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...mysqlUp,
      alldataApi([
        `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, "Access denied for user 'alldata'@'10.0.2.41' (using password: YES)")`,
        '(Background on this error at: https://sqlalche.me/e/20/e3q8)',
      ]),
    ],
    expect: { ruleId: 'mysql-access-denied', action: 'none', fixMentions: ['alldata-api', ALLDATA] },
  },
  {
    name: 'alldata-table-missing',
    runbook: {
      file: K8S,
      section: '服务启动问题 / Alldata API 启动失败',
      row: "`Table doesn't exist` → 数据库未初始化 → 运行数据库迁移脚本",
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...mysqlUp,
      alldataApi([
        `sqlalchemy.exc.ProgrammingError: (pymysql.err.ProgrammingError) (1146, "Table 'one_data_studio.datasource' doesn't exist")`,
        '[SQL: SELECT datasource.id, datasource.name FROM datasource]',
        '(Background on this error at: https://sqlalche.me/e/20/f405)',
      ]),
    ],
    expect: { ruleId: 'mysql-table-missing', action: 'none', fixMentions: ['alldata-api', ALLDATA] },
  },
  {
    name: 'alldata-port-in-use',
    runbook: {
      file: K8S,
      section: '服务启动问题 / Alldata API 启动失败',
      row: '`Port 8080 already in use` → 端口冲突 → 检查 Service 配置',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: ALLDATA_IMAGE,
        port: 8080,
        behavior: crash(
          [
            'INFO:     Started server process [1]',
            'INFO:     Waiting for application startup.',
            'INFO:     Application startup complete.',
            "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8080): address already in use",
            'INFO:     Waiting for application shutdown.',
            'INFO:     Application shutdown complete.',
          ],
          1,
        ),
      }),
    ],
    expect: { ruleId: 'port-in-use', action: 'none', fixMentions: ['alldata-api', ALLDATA] },
  },
  {
    name: 'bisheng-milvus-timeout',
    runbook: {
      file: K8S,
      section: '服务启动问题 / Bisheng API 启动失败',
      row: '`Milvus connection timeout` → Milvus Proxy 未就绪 → 检查 Milvus StatefulSet',
    },
    target: { namespace: BISHENG, kind: 'Deployment', name: 'bisheng-api' },
    objects: () => [
      namespace(BISHENG),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'milvus',
        image: 'milvusdb/milvus:v2.4.15',
        port: 19530,
        behavior: {
          mode: 'not-ready',
          logs: [
            '[2026/11/22 02:58:40.118 +00:00] [INFO] [proxy/service.go:412] ["init Proxy server"]',
            '[2026/11/22 02:58:40.120 +00:00] [WARN] [grpcclient/client.go:250] ["fail to get grpc client"] [client_role=rootcoord] [error="find no available rootcoord, check rootcoord state"]',
          ],
        },
      }),
      bishengApi([
        'bisheng.vectorstore INFO connecting to milvus at milvus.one-data-infra:19530',
        'pymilvus.exceptions.MilvusException: <MilvusException: (code=2, message=Fail connecting to server on milvus.one-data-infra:19530, illegal connection params or server unavailable)>',
      ]),
    ],
    expect: { ruleId: 'milvus-unreachable', action: 'wait-for-dependency', fixMentions: ['milvus', INFRA] },
  },
  {
    name: 'bisheng-collection-not-found',
    runbook: {
      file: K8S,
      section: '服务启动问题 / Bisheng API 启动失败',
      row: '`Collection not found` → 向量集合未创建 → 运行集合初始化脚本',
    },
    target: { namespace: BISHENG, kind: 'Deployment', name: 'bisheng-api' },
    objects: () => [
      namespace(BISHENG),
      namespace(INFRA),
      ...dependency({ namespace: INFRA, name: 'milvus', image: 'milvusdb/milvus:v2.4.15', port: 19530 }),
      bishengApi([
        'bisheng.vectorstore INFO connecting to milvus at milvus.one-data-infra:19530',
        'pymilvus.exceptions.MilvusException: <MilvusException: (code=100, message=collection not found[database=default][collection=bisheng_knowledge_base])>',
      ]),
    ],
    expect: { ruleId: 'milvus-collection-missing', action: 'none', fixMentions: ['bisheng-api', BISHENG] },
  },
  {
    name: 'bisheng-redis-refused',
    runbook: {
      file: K8S,
      section: '服务启动问题 / Bisheng API 启动失败',
      row: '`Redis connection refused` → Redis 未启动 → 检查 Redis Pod',
    },
    target: { namespace: BISHENG, kind: 'Deployment', name: 'bisheng-api' },
    objects: () => [
      namespace(BISHENG),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'redis',
        image: 'redis:7.2.4',
        port: 6379,
        behavior: crash(
          [
            "1:C 22 Nov 2026 02:58:40.118 # Fatal error, can't open config file '/usr/local/etc/redis/redis.conf': No such file or directory",
          ],
          1,
          1,
        ),
      }),
      bishengApi([
        'bisheng.cache INFO connecting to redis://redis.one-data-infra:6379/0',
        'redis.exceptions.ConnectionError: Error 111 connecting to redis.one-data-infra:6379. Connection refused.',
      ]),
    ],
    expect: { ruleId: 'redis-unreachable', action: 'wait-for-dependency', fixMentions: ['redis', INFRA] },
  },
  {
    name: 'vllm-gpu-oom',
    runbook: {
      file: K8S,
      section: '服务启动问题 / vLLM Serving 启动失败',
      row: '`Out of GPU memory` → 模型太大或 GPU 不足 → 减小模型或增加 GPU 资源',
    },
    target: { namespace: CUBE, kind: 'StatefulSet', name: 'vllm-serving' },
    objects: () => [
      namespace(CUBE),
      vllm([
        'INFO 11-22 02:58:41 api_server.py:528] vLLM API server version 0.6.3',
        'INFO 11-22 02:58:49 model_runner.py:1056] Starting to load model /models/Qwen2.5-72B-Instruct...',
        'ERROR 11-22 02:59:37 engine.py:160] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.75 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.02 GiB is free. Process 48 has 78.12 GiB memory in use. Of the allocated memory 76.90 GiB is allocated by PyTorch, and 412.33 MiB is reserved by PyTorch but unallocated.',
      ]),
    ],
    expect: { ruleId: 'gpu-out-of-memory', action: 'none', fixMentions: ['vllm-serving'] },
  },
  {
    name: 'vllm-model-not-found',
    runbook: {
      file: K8S,
      section: '服务启动问题 / vLLM Serving 启动失败',
      row: '`Model not found` → 模型路径错误 → 检查 PVC 挂载和模型下载',
    },
    target: { namespace: CUBE, kind: 'StatefulSet', name: 'vllm-serving' },
    objects: () => [
      namespace(CUBE),
      vllm([
        'INFO 11-22 02:58:41 api_server.py:528] vLLM API server version 0.6.3',
        "OSError: /models/Qwen2.5-7B-Instruct does not appear to have a file named config.json. Checkout 'https://huggingface.co//models/Qwen2.5-7B-Instruct/tree/None' for available files.",
      ]),
    ],
    expect: { ruleId: 'model-not-found', action: 'none', fixMentions: ['vllm-serving', CUBE] },
  },
  {
    name: 'vllm-cuda-not-available',
    runbook: {
      file: K8S,
      section: '服务启动问题 / vLLM Serving 启动失败',
      row: '`CUDA not available` → GPU 驱动问题 → 检查节点 CUDA 安装',
    },
    target: { namespace: CUBE, kind: 'StatefulSet', name: 'vllm-serving' },
    objects: () => [
      namespace(CUBE),
      vllm([
        'INFO 11-22 02:58:41 api_server.py:528] vLLM API server version 0.6.3',
        'RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx',
      ]),
    ],
    expect: { ruleId: 'cuda-unavailable', action: 'none', fixMentions: ['vllm-serving'] },
  },
  {
    name: 'alldata-db-pool-exhausted',
    runbook: {
      file: K8S,
      section: '性能问题 / API 响应缓慢',
      row: 'API 响应缓慢 → 数据库连接池大小不足 → 连接池 20-50',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...mysqlUp,
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: ALLDATA_IMAGE,
        port: 8080,
        behavior: {
          mode: 'not-ready',
          logs: [
            'INFO:     Application startup complete.',
            'sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)',
          ],
        },
      }),
    ],
    expect: { ruleId: 'connection-pool-exhausted', action: 'none', fixMentions: ['alldata-api'] },
  },
  {
    name: 'lineage-events-kafka-down',
    runbook: {
      file: K8S,
      section: '数据一致性问题 / 血缘事件丢失',
      row: '血缘图不完整、事件队列积压 → 事件消费者无法连接 Kafka → 检查 Kafka 与消费者',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'lineage-consumer' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'kafka',
        image: 'bitnami/kafka:3.7.0',
        port: 9092,
        behavior: {
          mode: 'oom',
          runSeconds: 5,
          logs: ['[2026-11-22 02:58:40,118] INFO Starting controller (kafka.controller.KafkaController)'],
        },
      }),
      app({
        namespace: ALLDATA,
        name: 'lineage-consumer',
        image: 'registry.one-data.io/alldata/lineage-consumer:3.2.1',
        port: 8090,
        behavior: crash(
          [
            'lineage.consumer INFO subscribing to openlineage.events at kafka.one-data-infra:9092',
            '%3|1763780321.118|FAIL|rdkafka#consumer-1| [thrd:kafka.one-data-infra:9092/bootstrap]: kafka.one-data-infra:9092/bootstrap: Connect to ipv4#172.20.4.9:9092 failed: Connection refused (after 0ms in state CONNECT)',
            'cimpl.KafkaException: KafkaError{code=_TRANSPORT,val=-195,str="Failed to get metadata: Local: Broker transport failure"}',
          ],
          1,
        ),
      }),
    ],
    // Kafka itself is down (OOMKilled): the dependency and its own diagnosis are the cause.
    expect: { ruleId: 'dependency-down', action: 'wait-for-dependency', fixMentions: ['kafka', INFRA] },
  },
  {
    name: 'kettle-minio-unreachable',
    runbook: {
      file: K8S,
      section: '集成问题 / Kettle 作业执行失败',
      row: '作业状态一直为 RUNNING/超时 → MinIO 连接失败 → 检查 MinIO 连接',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'kettle-worker' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'minio',
        image: 'minio/minio:RELEASE.2024-06-13T22-53-53Z',
        port: 9000,
        behavior: {
          mode: 'not-ready',
          logs: ['Waiting for all other servers to be online to format the drives (elapses 1m0s)'],
        },
      }),
      app({
        namespace: ALLDATA,
        name: 'kettle-worker',
        image: 'registry.one-data.io/alldata/kettle-worker:9.4.0',
        port: 8181,
        behavior: crash(
          [
            '2026/11/22 02:58:41 - Carte - Installing timer to purge stale objects after 1440 minutes.',
            '2026/11/22 02:59:11 - S3 File Output.0 - ERROR (version 9.4.0.0-343, build 0.0 from 2022-11-08 07.50.27 by buildguy) : com.amazonaws.SdkClientException: Unable to execute HTTP request: Connect to minio.one-data-infra:9000 [minio.one-data-infra/172.20.41.7] failed: Connection refused (Connection refused)',
          ],
          1,
        ),
      }),
    ],
    expect: { ruleId: 'minio-unreachable', action: 'wait-for-dependency', fixMentions: ['minio', INFRA] },
  },
  {
    name: 'minio-storage-full',
    runbook: {
      file: K8S,
      section: '存储问题 / MinIO 存储空间不足',
      row: '文件上传失败、PVC 已满 → MinIO 存储空间不足 → 清理旧数据或扩容 PVC',
    },
    target: { namespace: INFRA, kind: 'StatefulSet', name: 'minio' },
    objects: () => [
      namespace(INFRA),
      app({
        namespace: INFRA,
        name: 'minio',
        kind: 'StatefulSet',
        image: 'minio/minio:RELEASE.2024-06-13T22-53-53Z',
        port: 9000,
        behavior: {
          mode: 'not-ready',
          logs: [
            'API: PutObject(bucket=one-data-lake, object=raw/2026/11/22/events-0042.parquet)',
            'Time: 02:59:12 UTC 11/22/2026',
            'Error: Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed. (cmd.StorageFull)',
          ],
        },
      }),
      svc(INFRA, 'minio', 9000),
    ],
    expect: { ruleId: 'disk-full', action: 'none', fixMentions: ['minio', INFRA] },
  },
  {
    name: 'milvus-segment-corrupted',
    runbook: {
      file: K8S,
      section: '存储问题 / Milvus 数据损坏',
      row: '查询返回空结果、Segment 加载失败 → Milvus 数据损坏 → 从备份恢复或重建索引',
    },
    target: { namespace: INFRA, kind: 'StatefulSet', name: 'milvus-querynode' },
    objects: () => [
      namespace(INFRA),
      app({
        namespace: INFRA,
        name: 'milvus-querynode',
        kind: 'StatefulSet',
        image: 'milvusdb/milvus:v2.4.15',
        port: 21123,
        behavior: crash(
          [
            '[2026/11/22 02:59:12.441 +00:00] [INFO] [querynodev2/services.go:201] ["load segment"] [segmentID=451239847120387]',
            '[2026/11/22 02:59:12.517 +00:00] [WARN] [segments/segment_loader.go:312] ["load segment failed"] [segmentID=451239847120387] [error="corrupted binlog file: unexpected EOF"]',
            'panic: load segment 451239847120387: corrupted binlog file: unexpected EOF',
          ],
          2,
        ),
      }),
    ],
    expect: { ruleId: 'data-corrupted', action: 'none', fixMentions: ['milvus-querynode'] },
  },
  {
    name: 'alldata-connection-refused',
    runbook: {
      file: K8S,
      section: '网络问题 / 服务间通信失败',
      row: '`Connection refused` 错误 → 目标服务未就绪或端口错误 → 检查 Service/Endpoints 与 NetworkPolicy',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      ...dependency({
        namespace: ALLDATA,
        name: 'metadata-service',
        image: 'openmetadata/server:1.3.1',
        port: 8585,
        behavior: {
          mode: 'not-ready',
          logs: ['INFO [main] o.o.s.OpenMetadataApplication - Starting OpenMetadata'],
        },
      }),
      alldataApi([
        'alldata.lineage INFO syncing lineage from http://metadata-service:8585/api/v1',
        'httpx.ConnectError: [Errno 111] Connection refused',
      ]),
    ],
    expect: { ruleId: 'connection-refused', action: 'wait-for-dependency', fixMentions: ['alldata-api'] },
  },
  {
    name: 'alldata-dns-resolution-failed',
    runbook: {
      file: K8S,
      section: '网络问题 / 服务间通信失败',
      row: '`DNS resolution failed` 错误 → 服务名错误或 CoreDNS 故障 → 检查服务名与 CoreDNS',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      alldataApi([
        'alldata.lineage INFO syncing lineage from http://openmetadata-server:8585/api/v1',
        'httpx.ConnectError: [Errno -2] Name or service not known',
      ]),
    ],
    expect: { ruleId: 'dns-resolution', action: 'none', fixMentions: ['alldata-api'] },
  },
  {
    name: 'ingress-502-service-port',
    runbook: {
      file: K8S,
      section: '网络问题 / Ingress 配置错误',
      row: '502 Bad Gateway → Service 端口与容器端口不一致 → 检查 Service 端口',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: ALLDATA_IMAGE,
        port: 8080,
        behavior: healthy(['INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)']),
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 10 },
      }),
      svc(ALLDATA, 'alldata-api', 8080, { targetPort: 8000 }),
    ],
    expect: { ruleId: 'service-port-mismatch', action: 'none', fixMentions: ['alldata-api'] },
  },
  {
    name: 'alldata-bad-release',
    runbook: {
      file: K8S,
      section: '应急命令速查 (kubectl rollout undo)',
      row: '新版本发布后 CrashLoopBackOff、旧版本正常 → 发布缺陷 → 回滚到上一版本',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: ALLDATA_IMAGE,
        port: 8080,
        replicas: 2,
        behavior: healthy(['INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)']),
      }),
    ],
    async setup(sandbox) {
      await rollOut(sandbox, ALLDATA, 'alldata-api', (d) => {
        const spec = d.spec as { template: { spec: { containers: Array<{ image: string }> } } };
        spec.template.spec.containers[0].image = 'registry.one-data.io/alldata/alldata-api:3.3.0';
        setBehavior(
          d,
          'alldata-api',
          crash(
            [
              ...uvicornStart,
              'ERROR:    Traceback (most recent call last):',
              '  File "/usr/local/lib/python3.11/site-packages/starlette/routing.py", line 732, in lifespan',
              '    async with self.lifespan_context(app) as maybe_state:',
              '  File "/app/alldata/main.py", line 41, in lifespan',
              '    app.state.lineage = LineageSettings.from_env().endpoint.rstrip("/")',
              "AttributeError: 'NoneType' object has no attribute 'rstrip'",
              '',
              uvicornFail,
            ],
            1,
          ),
        );
      });
    },
    expect: { ruleId: 'bad-release', action: 'rollback', fixMentions: ['alldata-api'] },
  },
];
