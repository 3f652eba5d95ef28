import { AIKV, app, crash, dependency, namespace, svc, type RunbookCase } from './case';

/*
 * aikv-troubleshooting.md: AiKv, a Redis-compatible store written in Rust, as the StatefulSet
 * aikv in namespace aikv (Service aikv:6379), and its clients. Server errors as a Rust binary
 * (std::io::Error, RocksDB) prints them; client errors as go-redis and redis-py print them.
 */

const NS = 'aikv';
const IMAGE = 'registry.example.com/aikv/aikv:0.3.1';
const start = [
  '2026-11-22T02:58:41.103Z  INFO aikv: AiKv 0.3.1 starting, config=/etc/aikv/config.toml',
  '2026-11-22T02:58:41.104Z  INFO aikv::storage: storage engine aidb, data dir /data/aikv',
];

function aikv(logs: string[], extra: Partial<Parameters<typeof app>[0]> = {}) {
  return [
    app({
      namespace: NS,
      name: 'aikv',
      kind: 'StatefulSet',
      image: IMAGE,
      port: 6379,
      behavior: crash([...start, ...logs], 1),
      ...extra,
    }),
    svc(NS, 'aikv', 6379),
  ];
}

/** A client of AiKv: the session gateway, a Go service using go-redis. */
function gateway(logs: string[]) {
  return app({
    namespace: NS,
    name: 'session-gateway',
    image: 'registry.example.com/aikv/session-gateway:2.0.4',
    port: 8090,
    behavior: crash(
      [
        '{"level":"info","ts":"2026-11-22T02:58:41Z","msg":"starting session-gateway","store":"aikv.aikv.svc.cluster.local:6379"}',
        ...logs,
      ],
      1,
    ),
  });
}

const aikvUp = [
  app({ namespace: NS, name: 'aikv', kind: 'StatefulSet', image: IMAGE, port: 6379 }),
  svc(NS, 'aikv', 6379),
];

export const AIKV_ROWS: RunbookCase[] = [
  {
    name: 'aikv-address-in-use',
    runbook: {
      file: AIKV,
      section: '启动问题 / 2. 启动后立即退出',
      row: '`Address already in use` → 端口被占用 → 更换端口或终止占用进程',
    },
    target: { namespace: NS, kind: 'StatefulSet', name: 'aikv' },
    objects: () => [
      namespace(NS),
      ...aikv(['Error: failed to bind 0.0.0.0:6379: Address already in use (os error 98)']),
    ],
    expect: { ruleId: 'port-in-use', action: 'none', fixMentions: ['aikv'] },
  },
  {
    name: 'aikv-permission-denied',
    runbook: {
      file: AIKV,
      section: '启动问题 / 2. 启动后立即退出',
      row: '`Permission denied` → 权限不足 → 检查文件权限',
    },
    target: { namespace: NS, kind: 'StatefulSet', name: 'aikv' },
    objects: () => [
      namespace(NS),
      ...aikv(['Error: failed to open data dir /data/aikv: Permission denied (os error 13)']),
    ],
    expect: { ruleId: 'permission-denied', action: 'none', fixMentions: ['aikv'] },
  },
  {
    name: 'aikv-data-dir-missing',
    runbook: {
      file: AIKV,
      section: '启动问题 / 2. 启动后立即退出',
      row: '`No such file or directory` → 路径不存在 → 创建数据目录',
    },
    target: { namespace: NS, kind: 'StatefulSet', name: 'aikv' },
    objects: () => [
      namespace(NS),
      ...aikv(['Error: failed to open data dir /data/aikv: No such file or directory (os error 2)']),
    ],
    expect: { ruleId: 'missing-file', action: 'none', fixMentions: ['aikv'] },
  },
  {
    name: 'aikv-invalid-configuration',
    runbook: {
      file: AIKV,
      section: '启动问题 / 2. 启动后立即退出',
      row: '`Invalid configuration` → 配置错误 → 检查配置文件格式',
    },
    target: { namespace: NS, kind: 'StatefulSet', name: 'aikv' },
    objects: () => [
      namespace(NS),
      ...aikv([
        'Error: Invalid configuration: TOML parse error at line 4, column 8',
        '  |',
        '4 | port = 65536',
        '  |        ^^^^^',
        'invalid value: integer `65536`, expected u16',
      ]),
    ],
    expect: { ruleId: 'invalid-config', action: 'none', fixMentions: ['aikv'] },
  },
  {
    name: 'aikv-missing-library',
    runbook: {
      file: AIKV,
      section: '启动问题 / 1. 服务无法启动 (检查依赖库)',
      row: '服务无法启动 → 缺少动态库 (ldd) → 安装依赖',
    },
    target: { namespace: NS, kind: 'StatefulSet', name: 'aikv' },
    objects: () => [
      namespace(NS),
      app({
        namespace: NS,
        name: 'aikv',
        kind: 'StatefulSet',
        image: IMAGE,
        port: 6379,
        behavior: crash(
          [
            '/usr/local/bin/aikv: error while loading shared libraries: librocksdb.so.8: cannot open shared object file: No such file or directory',
          ],
          127,
          1,
        ),
      }),
      svc(NS, 'aikv', 6379),
    ],
    expect: { ruleId: 'missing-executable', action: 'none', fixMentions: ['aikv'] },
  },
  {
    name: 'aikv-connection-refused-bind',
    runbook: {
      file: AIKV,
      section: '连接问题 / 1. 连接被拒绝',
      row: 'Connection refused → 服务只监听 127.0.0.1 → host = "0.0.0.0"',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'session-gateway' },
    objects: () => [
      namespace(NS),
      ...aikvUp,
      gateway([
        '{"level":"fatal","ts":"2026-11-22T02:58:42Z","msg":"cannot reach session store","error":"dial tcp 172.20.88.14:6379: connect: connection refused"}',
      ]),
    ],
    expect: { ruleId: 'dependency-refuses-while-ready', action: 'restart', fixMentions: ['aikv'] },
  },
  {
    name: 'aikv-connection-timeout',
    runbook: {
      file: AIKV,
      section: '连接问题 / 2. 连接超时',
      row: '连接超时 → 网络不通或防火墙 → 测试网络与端口连通 (nc -zv)',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'session-gateway' },
    objects: () => [
      namespace(NS),
      ...aikvUp,
      gateway([
        '{"level":"fatal","ts":"2026-11-22T02:58:47Z","msg":"cannot reach session store","error":"dial tcp 172.20.88.14:6379: i/o timeout"}',
      ]),
    ],
    // AiKv is up and Ready: timeouts are the network's (a firewall, a NetworkPolicy); a restart cannot help.
    expect: { ruleId: 'connection-timeout', action: 'none', fixMentions: [NS] },
  },
  {
    name: 'aikv-connection-reset',
    runbook: {
      file: AIKV,
      section: '连接问题 / 3. 连接被重置',
      row: '`Connection reset by peer` → 达到最大连接数/服务器异常退出 → 检查连接数与服务器状态',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'session-gateway' },
    objects: () => [
      namespace(NS),
      ...aikvUp,
      gateway([
        '{"level":"fatal","ts":"2026-11-22T02:58:47Z","msg":"session store read failed","error":"read tcp 10.0.2.41:51234->172.20.88.14:6379: read: connection reset by peer"}',
      ]),
    ],
    // AiKv is up again: the client only has to reconnect, which a restart does.
    expect: { ruleId: 'connection-reset', action: 'restart', fixMentions: [] },
  },
  {
    name: 'aikv-max-clients',
    runbook: {
      file: AIKV,
      section: '连接问题 / 3. 连接被重置',
      row: '达到最大连接数限制 → 连接泄漏或 maxclients 过小 → 检查 CLIENT LIST / INFO clients',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'session-gateway' },
    objects: () => [
      namespace(NS),
      ...aikvUp,
      gateway([
        '{"level":"fatal","ts":"2026-11-22T02:58:47Z","msg":"session store ping failed","error":"ERR max number of clients reached"}',
      ]),
    ],
    expect: { ruleId: 'connection-pool-exhausted', action: 'none', fixMentions: ['session-gateway'] },
  },
  {
    name: 'aikv-maxmemory',
    runbook: {
      file: AIKV,
      section: '性能问题 / 2. 内存使用过高',
      row: '内存使用过高 → 大键/无 TTL → 设置 TTL、清理数据、调整 maxmemory',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'session-gateway' },
    objects: () => [
      namespace(NS),
      ...aikvUp,
      gateway([
        '{"level":"fatal","ts":"2026-11-22T02:58:47Z","msg":"session write failed","error":"OOM command not allowed when used memory > \'maxmemory\'."}',
      ]),
    ],
    expect: { ruleId: 'redis-maxmemory', action: 'none', fixMentions: [] },
  },
  {
    name: 'aikv-cluster-down',
    runbook: {
      file: AIKV,
      section: '集群问题 / 1. 集群状态异常',
      row: 'cluster_state:fail / CLUSTERDOWN → 槽未全部分配或节点失联 → CLUSTER INFO / CLUSTER NODES',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'session-gateway' },
    objects: () => [
      namespace(NS),
      ...aikvUp,
      gateway([
        '{"level":"fatal","ts":"2026-11-22T02:58:47Z","msg":"session read failed","error":"CLUSTERDOWN Hash slot not served"}',
      ]),
    ],
    expect: { ruleId: 'redis-cluster-down', action: 'none', fixMentions: [] },
  },
  {
    name: 'aikv-data-corruption',
    runbook: {
      file: AIKV,
      section: '数据问题 / 2. 数据损坏',
      row: '数据损坏 (启动失败/读取错误) → 磁盘或文件损坏 → 从备份恢复',
    },
    target: { namespace: NS, kind: 'StatefulSet', name: 'aikv' },
    objects: () => [
      namespace(NS),
      ...aikv([
        'Error: Corruption: block checksum mismatch: stored = 2324967102, computed = 2953856024, file: /data/aikv/000142.sst, offset: 4210688, size: 4021',
      ]),
    ],
    expect: { ruleId: 'data-corrupted', action: 'none', fixMentions: ['aikv'] },
  },
  {
    name: 'aikv-segfault',
    runbook: {
      file: AIKV,
      section: '连接问题 / 3. 连接被重置 (服务器异常退出)',
      row: '服务器异常退出 (SIGSEGV, exit 139) → 程序缺陷 → 收集诊断信息并报告问题',
    },
    target: { namespace: NS, kind: 'StatefulSet', name: 'aikv' },
    objects: () => [
      namespace(NS),
      ...aikv(['2026-11-22T02:58:44.512Z  INFO aikv::server: ready to accept connections on 0.0.0.0:6379'], {
        behavior: crash(
          [
            ...start,
            '2026-11-22T02:58:44.512Z  INFO aikv::server: ready to accept connections on 0.0.0.0:6379',
          ],
          139,
          6,
        ),
      }),
    ],
    expect: { ruleId: 'sigsegv', action: 'none', fixMentions: [] },
  },
  {
    name: 'aikv-gateway-redis-down',
    runbook: {
      file: AIKV,
      section: '快速诊断流程',
      row: '客户端无法连接 (redis-cli ping 失败) → AiKv 进程未运行 → 确认服务运行 (ps/pgrep) 后重连',
    },
    target: { namespace: NS, kind: 'Deployment', name: 'session-gateway' },
    objects: () => [
      namespace(NS),
      ...dependency({
        namespace: NS,
        name: 'aikv',
        image: IMAGE,
        port: 6379,
        behavior: { mode: 'oom', runSeconds: 4, logs: start },
      }),
      gateway([
        '{"level":"fatal","ts":"2026-11-22T02:58:42Z","msg":"cannot reach session store","error":"dial tcp: lookup aikv.aikv.svc.cluster.local: no such host"}',
      ]),
    ],
    expect: { ruleId: 'dependency-down', action: 'wait-for-dependency', fixMentions: ['aikv'] },
  },
];
