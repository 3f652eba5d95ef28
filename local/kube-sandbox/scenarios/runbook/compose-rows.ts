import { COMPOSE, app, crash, dependency, namespace, type RunbookCase } from './case';

/*
 * one-data-studio-compose-troubleshooting.md: the same services as on Kubernetes, in the
 * compose runbook's wording (API 500, slow API, database, Milvus, frontend, memory).
 */

const ALLDATA = 'one-data-alldata';
const BISHENG = 'one-data-bisheng';
const INFRA = 'one-data-infra';
const STUDIO = 'one-data-studio';
const uvicornStart = ['INFO:     Started server process [1]', 'INFO:     Waiting for application startup.'];
const uvicornFail = 'ERROR:    Application startup failed. Exiting.';

export const COMPOSE_ROWS: RunbookCase[] = [
  {
    name: 'compose-api-500-missing-env',
    runbook: {
      file: COMPOSE,
      section: '常见故障 / API 服务问题 / API 返回 500 错误',
      row: 'API 返回 500 → 配置错误 → 检查环境变量配置',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: 'registry.one-data.io/alldata/alldata-api:3.2.1',
        port: 8080,
        behavior: crash(
          [
            ...uvicornStart,
            'ERROR:    Traceback (most recent call last):',
            '  File "/app/alldata/settings.py", line 27, in <module>',
            '    DATABASE_URL = os.environ["DATABASE_URL"]',
            '  File "<frozen os>", line 679, in __getitem__',
            "KeyError: 'DATABASE_URL'",
            uvicornFail,
          ],
          3,
        ),
      }),
    ],
    expect: { ruleId: 'missing-config', action: 'none', fixMentions: ['alldata-api', ALLDATA] },
  },
  {
    name: 'compose-api-slow-redis-timeout',
    runbook: {
      file: COMPOSE,
      section: '常见故障 / API 服务问题 / API 响应缓慢',
      row: 'API 响应缓慢 → 缓存未生效 (Redis) → 检查 Redis 连接 (redis-cli ping)',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'redis',
        image: 'redis:7.2.4',
        port: 6379,
        behavior: {
          mode: 'not-ready',
          logs: ['1:M 22 Nov 2026 02:58:40.118 * Loading RDB produced by version 7.2.4'],
        },
      }),
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: 'registry.one-data.io/alldata/alldata-api:3.2.1',
        port: 8080,
        behavior: crash(
          [
            ...uvicornStart,
            'alldata.cache INFO connecting to redis://redis.one-data-infra:6379/1',
            'redis.exceptions.TimeoutError: Timeout connecting to server',
            uvicornFail,
          ],
          3,
        ),
      }),
    ],
    expect: { ruleId: 'redis-unreachable', action: 'wait-for-dependency', fixMentions: ['redis', INFRA] },
  },
  {
    name: 'compose-mysql-oomkilled',
    runbook: {
      file: COMPOSE,
      section: '数据库问题 / 数据库连接失败',
      row: '(2003, "Can\'t connect to MySQL server") → MySQL 未运行 → 确认 MySQL 正在运行，重启数据库',
    },
    target: { namespace: BISHENG, kind: 'Deployment', name: 'bisheng-api' },
    objects: () => [
      namespace(BISHENG),
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
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
      app({
        namespace: BISHENG,
        name: 'bisheng-api',
        image: 'registry.one-data.io/bisheng/bisheng-api:2.1.0',
        port: 7860,
        behavior: crash(
          [
            ...uvicornStart,
            `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' ([Errno 111] Connection refused)")`,
            uvicornFail,
          ],
          3,
        ),
      }),
    ],
    expect: { ruleId: 'mysql-unreachable', action: 'wait-for-dependency', fixMentions: ['mysql', INFRA] },
  },
  {
    name: 'compose-mysql-table-full',
    runbook: {
      file: COMPOSE,
      section: '数据库问题 / 数据库磁盘空间不足',
      row: 'ERROR 1114 (HY000): The table is full → 数据库磁盘空间不足 → 清理旧数据、扩容磁盘',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      namespace(INFRA),
      ...dependency({ namespace: INFRA, name: 'mysql', image: 'mysql:8.0.36', port: 3306 }),
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: 'registry.one-data.io/alldata/alldata-api:3.2.1',
        port: 8080,
        behavior: crash(
          [
            ...uvicornStart,
            'alldata.migrations INFO recording lineage snapshot',
            `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1114, "The table 'lineage_event' is full")`,
            uvicornFail,
          ],
          3,
        ),
      }),
    ],
    expect: { ruleId: 'mysql-disk-full', action: 'none', fixMentions: [INFRA] },
  },
  {
    name: 'compose-milvus-etcd-down',
    runbook: {
      file: COMPOSE,
      section: '向量数据库问题 / Milvus 连接失败',
      row: 'MilvusException: Failed to connect to server → Milvus 组件 (milvus-etcd/milvus-minio) 未运行 → 确保 Milvus 组件都正常运行',
    },
    target: { namespace: INFRA, kind: 'StatefulSet', name: 'milvus-standalone' },
    objects: () => [
      namespace(INFRA),
      ...dependency({
        namespace: INFRA,
        name: 'milvus-etcd',
        image: 'quay.io/coreos/etcd:v3.5.5',
        port: 2379,
        behavior: crash(
          [
            '{"level":"fatal","ts":"2026-11-22T02:58:40.118Z","caller":"etcdmain/etcd.go:204","msg":"discovery failed","error":"listen tcp 0.0.0.0:2380: bind: address already in use"}',
          ],
          1,
          2,
        ),
      }),
      app({
        namespace: INFRA,
        name: 'milvus-standalone',
        kind: 'StatefulSet',
        image: 'milvusdb/milvus:v2.4.15',
        port: 19530,
        behavior: crash(
          [
            '[2026/11/22 02:58:41.201 +00:00] [INFO] [components/root_coord.go:52] ["RootCoord init"]',
            '[2026/11/22 02:59:01.207 +00:00] [WARN] [etcd/etcd_util.go:58] ["failed to connect to etcd"] [endpoints="[milvus-etcd:2379]"] [error="context deadline exceeded"]',
            'panic: context deadline exceeded',
          ],
          2,
        ),
      }),
    ],
    // milvus-etcd itself crash-loops: the dependency and its own diagnosis are the cause.
    expect: { ruleId: 'dependency-down', action: 'wait-for-dependency', fixMentions: ['milvus-etcd', INFRA] },
  },
  {
    name: 'compose-web-nginx-config',
    runbook: {
      file: COMPOSE,
      section: '前端问题 / 页面加载失败',
      row: '浏览器显示 404、资源加载失败 → Nginx 配置错误 → nginx -t 检查配置',
    },
    target: { namespace: STUDIO, kind: 'Deployment', name: 'web-frontend' },
    objects: () => [
      namespace(STUDIO),
      app({
        namespace: STUDIO,
        name: 'web-frontend',
        image: 'registry.one-data.io/studio/web-frontend:1.8.0',
        port: 3000,
        behavior: crash(
          [
            '/docker-entrypoint.sh: Configuration complete; ready for start up',
            '2026/11/22 02:58:41 [emerg] 1#1: unknown directive "proxy_pas" in /etc/nginx/conf.d/default.conf:14',
            'nginx: [emerg] unknown directive "proxy_pas" in /etc/nginx/conf.d/default.conf:14',
          ],
          1,
        ),
      }),
    ],
    expect: { ruleId: 'invalid-config', action: 'none', fixMentions: ['web-frontend', STUDIO] },
  },
  {
    name: 'compose-high-memory-oom',
    runbook: {
      file: COMPOSE,
      section: '性能问题 / 高内存使用',
      row: '高内存使用 → 内存泄漏或连接池/缓存过大 → 调整连接池与缓存大小 (tracemalloc)',
    },
    target: { namespace: ALLDATA, kind: 'Deployment', name: 'alldata-api' },
    objects: () => [
      namespace(ALLDATA),
      app({
        namespace: ALLDATA,
        name: 'alldata-api',
        image: 'registry.one-data.io/alldata/alldata-api:3.2.1',
        port: 8080,
        behavior: {
          mode: 'oom',
          runSeconds: 8,
          logs: [
            'INFO:     Application startup complete.',
            'alldata.profiling INFO loading datasource catalogue (48213 tables)',
          ],
        },
      }),
    ],
    expect: { ruleId: 'oom-killed', action: 'none', fixMentions: ['alldata-api', ALLDATA] },
  },
];
