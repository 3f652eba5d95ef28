import type { ContainerBehavior } from '../behavior';
import { namespace } from './base';
import type { KubeObject } from '../store';
import type { Scenario } from './types';
import {
  PART_OF,
  backupCronJob,
  configMap,
  daemonSet,
  deployment,
  rollOut,
  secret,
  service,
  setBehavior,
  statefulSet,
  writeBackupLogs,
  type BackupRun,
} from './workloads';

/*
 * ONE-DATA-STUDIO on EKS, on a bad night (the failures of the runbooks in
 * reference/runbooks/one-data-studio-*.md and otlp-app-troubleshooting.md):
 *
 * - one-data-alldata/alldata-api crash-loops: it started while MySQL was down and exits on
 *   "Can't connect to MySQL server" (2003). MySQL is back; a `rollout restart` fixes it.
 * - one-data-system/agent-api: revision 2 (image 2.6.0, a config change) panics at startup;
 *   revision 1 still serves. The fix is `rollout undo`.
 * - one-data-bisheng/bisheng-api is OOMKilled in every revision, including the one that
 *   raised its memory limit: neither restart nor rollback helps; a human must look.
 * - one-data-infra's nightly backups (MySQL dump, MinIO mirror, Milvus backup): milvus-backup
 *   has failed for three nights and last succeeded four days ago.
 */

const STUDIO = 'one-data-studio';
const ALLDATA = 'one-data-alldata';
const SYSTEM = 'one-data-system';
const BISHENG = 'one-data-bisheng';
const INFRA = 'one-data-infra';
const DAY = 86_400_000;
/** The node the back-dated backup pods ran on (the base cluster's first node). */
const BACKUP_NODE = 'ip-10-0-1-20.eu-west-1.compute.internal';

const MYSQL_UNREACHABLE = `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`;

const alldataApiCrash: ContainerBehavior = {
  mode: 'crash',
  exitCode: 3,
  runSeconds: 4,
  recoverAfterRolloutRestart: true,
  logs: [
    'INFO:     Started server process [1]',
    'INFO:     Waiting for application startup.',
    'alldata.db INFO Connecting to mysql+pymysql://alldata@mysql.one-data-infra:3306/one_data_studio (pool_size=20)',
    'ERROR:    Traceback (most recent call last):',
    '  File "/usr/local/lib/python3.11/site-packages/pymysql/connections.py", line 649, in connect',
    '    sock = socket.create_connection(',
    '  File "/usr/local/lib/python3.11/socket.py", line 851, in create_connection',
    '    raise exceptions[0]',
    'ConnectionRefusedError: [Errno 111] Connection refused',
    '',
    'During handling of the above exception, another exception occurred:',
    '',
    'Traceback (most recent call last):',
    '  File "/app/alldata/main.py", line 38, in lifespan',
    '    await init_database(settings.database_url)',
    '  File "/app/alldata/db.py", line 52, in init_database',
    '    with engine.connect() as conn:',
    `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`,
    '',
    'The above exception was the direct cause of the following exception:',
    '',
    MYSQL_UNREACHABLE,
    '(Background on this error at: https://sqlalche.me/e/20/e3q8)',
    'ERROR:    Application startup failed. Exiting.',
  ],
  healthyLogs: [
    'INFO:     Started server process [1]',
    'INFO:     Waiting for application startup.',
    'alldata.db INFO Connecting to mysql+pymysql://alldata@mysql.one-data-infra:3306/one_data_studio (pool_size=20)',
    'alldata.db INFO Connected: MySQL 8.0.36, schema revision 4f2a91c0d3b7 (head)',
    'INFO:     Application startup complete.',
    'INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)',
    'INFO:     10.0.2.27:51234 - "GET /api/v1/health HTTP/1.1" 200 OK',
  ],
};

const agentApiHealthy: ContainerBehavior = {
  mode: 'healthy',
  readyAfterSeconds: 3,
  logs: [
    '{"level":"info","msg":"starting agent-api","version":"2.5.3","commit":"8c1e2f4"}',
    '{"level":"info","msg":"llm providers registered","providers":["openai-proxy","vllm"]}',
    '{"level":"info","msg":"connected to redis","addr":"redis.one-data-infra:6379"}',
    '{"level":"info","msg":"listening","addr":":8081"}',
  ],
};

const agentApiPanics: ContainerBehavior = {
  mode: 'crash',
  exitCode: 2,
  runSeconds: 2,
  logs: [
    '{"level":"info","msg":"starting agent-api","version":"2.6.0","commit":"a41d9be"}',
    '{"level":"warn","msg":"llm provider config missing","key":"LLM_PROVIDERS","configmap":"agent-api-config"}',
    'panic: runtime error: invalid memory address or nil pointer dereference',
    '[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1b4f2a6]',
    '',
    'goroutine 1 [running]:',
    'github.com/one-data-studio/agent-api/internal/llm.(*Router).Register(0x0, {0xc0004a2000, 0xc})',
    '\t/src/internal/llm/router.go:88 +0x46',
    'main.main()',
    '\t/src/cmd/agent-api/main.go:61 +0x3d2',
  ],
};

function bishengOom(limit: string): ContainerBehavior {
  return {
    mode: 'oom',
    runSeconds: 25,
    logs: [
      'INFO:     Started server process [1]',
      `bisheng.settings INFO memory limit ${limit}, workers=4`,
      'bisheng.worker INFO Loading embedding model BAAI/bge-large-zh-v1.5 (1.34 GB) onto cpu',
      'bisheng.worker INFO Loading reranker BAAI/bge-reranker-large (2.24 GB) onto cpu',
      'bisheng.milvus INFO Warming collection cache from milvus.one-data-infra:19530 (collections=14)',
    ],
  };
}

/** The most recent time of day `hour:minute` UTC at or before `now`, `daysBack` days earlier. */
function dailyAt(now: number, hour: number, minute: number, daysBack = 0): number {
  const d = new Date(now);
  d.setUTCHours(hour, minute, 0, 0);
  if (d.getTime() > now) d.setUTCDate(d.getUTCDate() - 1);
  return d.getTime() - daysBack * DAY;
}

function backupRuns(now: number): Record<string, BackupRun[]> {
  const mysql = (daysBack: number): BackupRun => ({
    scheduledAt: dailyAt(now, 2, 0, daysBack),
    seconds: 252,
    succeeded: true,
    logs: [
      `[mysql-backup] dumping one_data_studio from mysql.one-data-infra:3306`,
      '[mysql-backup] mysqldump: 214 tables, 18.4 GiB',
      `[mysql-backup] uploaded s3://one-data-backups/mysql/one_data_studio-${day(now, daysBack)}.sql.gz (3.1 GiB)`,
      '[mysql-backup] done in 4m12s',
    ],
  });
  const minio = (daysBack: number): BackupRun => ({
    scheduledAt: dailyAt(now, 2, 30, daysBack),
    seconds: 95,
    succeeded: true,
    logs: [
      'mc: <INFO> mirroring myminio/datasets to /backup/minio/datasets',
      '`myminio/datasets` -> `/backup/minio/datasets`',
      'Total: 1.86 GiB, Transferred: 212.40 MiB, Speed: 2.24 MiB/s',
    ],
  });
  const milvus = (daysBack: number): BackupRun => ({
    scheduledAt: dailyAt(now, 3, 0, daysBack),
    seconds: 61,
    succeeded: false,
    logs: MILVUS_BACKUP_FAILURE,
  });
  return {
    'mysql-backup': [2, 1, 0].map(mysql),
    'minio-mirror': [2, 1, 0].map(minio),
    'milvus-backup': [2, 1, 0].map(milvus),
  };
}

function day(now: number, daysBack: number): string {
  return new Date(now - daysBack * DAY).toISOString().slice(0, 10).replaceAll('-', '');
}

const MILVUS_BACKUP_FAILURE = [
  '[INFO] [backup/backup_context.go:143] ["receive CreateBackupRequest"] [requestId=6f1c] [backupName=backup_nightly]',
  '[INFO] [backup/backup_context.go:312] ["backup collections"] [count=14]',
  '[ERROR] [storage/minio_chunk_manager.go:210] ["failed to put object"] [bucket=milvus-backup] [error="The specified bucket does not exist."]',
  '[ERROR] [backup/backup_impl_create_backup.go:598] ["backup failed"] [backupName=backup_nightly] [error="copy segment binlogs: The specified bucket does not exist."]',
  'Error: backup backup_nightly failed: copy segment binlogs: The specified bucket does not exist.',
];

function objects(now: number) {
  const runs = backupRuns(now);
  const created = now - 40 * DAY;
  return [
    ...[ALLDATA, SYSTEM, BISHENG, INFRA].map((n) =>
      namespace(n, { [PART_OF]: STUDIO, 'istio-injection': 'disabled' }),
    ),
    // The backup restore tests' scratch namespace, as `eks-incident rbac --scratch-namespaces` creates it.
    namespace('backup-restore-test', { 'app.kubernetes.io/managed-by': 'eks-incident-response' }),

    // EKS add-ons in kube-system, as every EKS cluster has them.
    daemonSet({
      namespace: 'kube-system',
      name: 'aws-node',
      image: '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1',
      port: 61678,
      cpu: '25m',
      memory: '128Mi',
    }),
    daemonSet({
      namespace: 'kube-system',
      name: 'kube-proxy',
      image: '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.32.0-minimal-eksbuild.2',
      port: 10249,
      cpu: '100m',
      memory: '64Mi',
    }),
    deployment({
      namespace: 'kube-system',
      name: 'coredns',
      image: '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2',
      port: 53,
      cpu: '100m',
      memory: '70Mi',
    }),
    service('kube-system', 'kube-dns', { dns: 53, 'dns-tcp': 53 }),
    // The EKS CoreDNS add-on ships with this budget.
    disruptionBudget('kube-system', 'coredns', { maxUnavailable: 1 }),

    // Shared services in one-data-infra.
    secret(INFRA, 'mysql-root', { MYSQL_ROOT_PASSWORD: 'Zt8#q2Lw!rP4' }),
    withClaim('mysql-data', '/var/lib/mysql', {
      namespace: INFRA,
      name: 'mysql',
      image: 'mysql:8.0.36',
      port: 3306,
      cpu: '1',
      memory: '2Gi',
      secrets: ['mysql-root'],
      partOf: STUDIO,
      behavior: {
        mode: 'healthy',
        readyAfterSeconds: 40,
        logs: [
          '[Server] /usr/sbin/mysqld (mysqld 8.0.36) starting as process 1',
          '[Server] InnoDB initialization has started.',
          "[Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.36'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.",
        ],
      },
    }),
    service(INFRA, 'mysql', { mysql: 3306 }, STUDIO),
    claim(INFRA, 'mysql-data', '50Gi'),
    deployment({
      namespace: INFRA,
      name: 'redis',
      image: 'redis:7.2.5',
      port: 6379,
      replicas: 1,
      cpu: '250m',
      memory: '512Mi',
      partOf: STUDIO,
    }),
    service(INFRA, 'redis', { redis: 6379 }, STUDIO),
    secret(INFRA, 'minio-credentials', { MINIO_ROOT_USER: 'minio', MINIO_ROOT_PASSWORD: 'minio123' }),
    statefulSet({
      namespace: INFRA,
      name: 'minio',
      image: 'minio/minio:RELEASE.2024-06-13T22-53-53Z',
      port: 9000,
      cpu: '500m',
      memory: '1Gi',
      secrets: ['minio-credentials'],
      partOf: STUDIO,
    }),
    service(INFRA, 'minio', { api: 9000, console: 9001 }, STUDIO),
    deployment({
      namespace: INFRA,
      name: 'milvus-standalone',
      image: 'milvusdb/milvus:v2.4.5',
      port: 19530,
      replicas: 1,
      cpu: '1',
      memory: '4Gi',
      partOf: STUDIO,
    }),
    service(INFRA, 'milvus', { grpc: 19530, metrics: 9091 }, STUDIO),

    // (a) alldata-api: crash-looping since MySQL was down; a restart fixes it.
    configMap(ALLDATA, 'alldata-api-config', {
      DATABASE_HOST: 'mysql.one-data-infra',
      DATABASE_PORT: '3306',
      DATABASE_NAME: 'one_data_studio',
      REDIS_URL: 'redis://redis.one-data-infra:6379/0',
      MINIO_ENDPOINT: 'minio.one-data-infra:9000',
      LOG_LEVEL: 'INFO',
    }),
    secret(ALLDATA, 'alldata-api-db', { DATABASE_USER: 'alldata', DATABASE_PASSWORD: 'b7Hk2pQx9sLm' }),
    deployment({
      namespace: ALLDATA,
      name: 'alldata-api',
      image: 'registry.one-data.io/alldata/alldata-api:2.4.1',
      port: 8080,
      replicas: 2,
      cpu: '250m',
      memory: '1Gi',
      configMaps: ['alldata-api-config'],
      secrets: ['alldata-api-db'],
      partOf: STUDIO,
      behavior: alldataApiCrash,
      createdAt: created,
    }),
    service(ALLDATA, 'alldata-api', { http: 8080 }, STUDIO),
    deployment({
      namespace: ALLDATA,
      name: 'kettle-worker',
      image: 'registry.one-data.io/alldata/kettle-worker:9.4.0',
      port: 8080,
      replicas: 1,
      cpu: '500m',
      memory: '2Gi',
      configMaps: ['alldata-api-config'],
      partOf: STUDIO,
      createdAt: created,
    }),

    // (b) agent-api: revision 2 panics at startup, revision 1 was healthy (see setup).
    configMap(SYSTEM, 'agent-api-config', {
      OPENAI_PROXY_URL: 'http://openai-proxy.one-data-system:8000/v1',
      VLLM_URL: 'http://vllm-serving.one-data-cube:8000/v1',
      REDIS_ADDR: 'redis.one-data-infra:6379',
      MILVUS_ADDR: 'milvus.one-data-infra:19530',
    }),
    secret(SYSTEM, 'jwt-secret', { JWT_SECRET_KEY: 'kq3VZ8l0yT2fN6wR1sPd4mXc9bHg7jUe' }),
    deployment({
      namespace: SYSTEM,
      name: 'agent-api',
      image: 'registry.one-data.io/studio/agent-api:2.5.3',
      port: 8081,
      replicas: 2,
      cpu: '250m',
      memory: '512Mi',
      configMaps: ['agent-api-config'],
      secrets: ['jwt-secret'],
      partOf: STUDIO,
      behavior: agentApiHealthy,
      changeCause: 'release 2.5.3',
      createdAt: created,
    }),
    service(SYSTEM, 'agent-api', { http: 8081 }, STUDIO),
    deployment({
      namespace: SYSTEM,
      name: 'data-api',
      image: 'registry.one-data.io/studio/data-api:3.1.0',
      port: 8080,
      replicas: 2,
      cpu: '250m',
      memory: '512Mi',
      secrets: ['jwt-secret'],
      partOf: STUDIO,
      createdAt: created,
    }),
    service(SYSTEM, 'data-api', { http: 8080 }, STUDIO),
    disruptionBudget(SYSTEM, 'data-api', { minAvailable: 1 }),

    // (c) bisheng-api: OOMKilled in every revision (the second raised the limit, in vain).
    configMap(BISHENG, 'bisheng-api-config', {
      MILVUS_HOST: 'milvus.one-data-infra',
      MILVUS_PORT: '19530',
      EMBEDDING_MODEL: 'BAAI/bge-large-zh-v1.5',
      RERANK_MODEL: 'BAAI/bge-reranker-large',
    }),
    deployment({
      namespace: BISHENG,
      name: 'bisheng-api',
      image: 'registry.one-data.io/bisheng/bisheng-api:1.8.2',
      port: 7860,
      replicas: 2,
      cpu: '500m',
      memory: '1Gi',
      configMaps: ['bisheng-api-config'],
      partOf: STUDIO,
      behavior: bishengOom('1Gi'),
      changeCause: 'release 1.8.2',
      createdAt: created,
    }),
    service(BISHENG, 'bisheng-api', { http: 7860 }, STUDIO),

    // (d) nightly backups; milvus-backup has not succeeded for four days.
    ...backupCronJob({
      namespace: INFRA,
      name: 'mysql-backup',
      schedule: '0 2 * * *',
      image: 'mysql:8.0.36',
      command: ['/scripts/mysql-backup.sh'],
      behavior: { mode: 'complete', runSeconds: 252, logs: runs['mysql-backup'][2].logs },
      runs: runs['mysql-backup'],
      lastSuccessfulTime: dailyAt(now, 2, 0) + 253_000,
      nodeName: BACKUP_NODE,
    }),
    ...backupCronJob({
      namespace: INFRA,
      name: 'minio-mirror',
      schedule: '30 2 * * *',
      image: 'minio/mc:RELEASE.2024-06-12T14-34-03Z',
      command: ['mc', 'mirror', '--overwrite', 'myminio/datasets', '/backup/minio/datasets'],
      behavior: { mode: 'complete', runSeconds: 95, logs: runs['minio-mirror'][2].logs },
      runs: runs['minio-mirror'],
      lastSuccessfulTime: dailyAt(now, 2, 30) + 96_000,
      nodeName: BACKUP_NODE,
    }),
    ...backupCronJob({
      namespace: INFRA,
      name: 'milvus-backup',
      schedule: '0 3 * * *',
      image: 'milvusdb/milvus-backup:v0.4.12',
      command: ['milvus-backup', 'create', '-n', 'backup_nightly'],
      behavior: { mode: 'crash', exitCode: 1, runSeconds: 61, logs: MILVUS_BACKUP_FAILURE },
      runs: runs['milvus-backup'],
      lastSuccessfulTime: dailyAt(now, 3, 0, 4) + 462_000,
      nodeName: BACKUP_NODE,
    }),
  ];
}

/** A PersistentVolumeClaim of the default StorageClass (gp3), bound when its first pod is scheduled. */
function claim(namespace: string, name: string, size: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace, labels: { [PART_OF]: STUDIO } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
  };
}

/** A one-replica StatefulSet whose container keeps its data on a claim. */
function withClaim(claimName: string, mountPath: string, o: Parameters<typeof statefulSet>[0]): KubeObject {
  const sts = statefulSet(o);
  const spec = (
    sts.spec as { template: { spec: { containers: Array<Record<string, unknown>>; volumes?: unknown[] } } }
  ).template.spec;
  spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName } }];
  spec.containers[0].volumeMounts = [{ name: 'data', mountPath }];
  return sts;
}

function disruptionBudget(
  namespace: string,
  app: string,
  limit: { minAvailable: number } | { maxUnavailable: number },
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: app, namespace },
    spec: { ...limit, selector: { matchLabels: { app } } },
  };
}

export const demo: Scenario = {
  name: 'demo',
  description:
    'ONE-DATA-STUDIO on EKS: alldata-api crash-looping on MySQL (a restart fixes it), agent-api with a broken revision 2 (roll back), bisheng-api OOMKilled in every revision (escalate), and a milvus-backup CronJob failing for days.',
  examples: [
    'kubectl get pods -A',
    'kubectl logs -n one-data-alldata deployment/alldata-api --previous',
    'kubectl events -n one-data-alldata --for deployment/alldata-api',
    'kubectl rollout restart -n one-data-alldata deployment/alldata-api',
    'kubectl rollout history -n one-data-system deployment/agent-api',
    'kubectl get cronjobs,jobs -n one-data-infra',
  ],
  objects,
  async setup(sandbox) {
    writeBackupLogs(sandbox, INFRA, backupRuns(sandbox.clock.now()));
    await rollOut(sandbox, SYSTEM, 'agent-api', (d) => {
      d.metadata.annotations = {
        ...d.metadata.annotations,
        'kubernetes.io/change-cause': 'release 2.6.0: move LLM providers to LLM_PROVIDERS',
      };
      const container = (d.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template
        .spec.containers[0];
      container.image = 'registry.one-data.io/studio/agent-api:2.6.0';
      setBehavior(d, 'agent-api', agentApiPanics);
    });
    await rollOut(sandbox, BISHENG, 'bisheng-api', (d) => {
      d.metadata.annotations = {
        ...d.metadata.annotations,
        'kubernetes.io/change-cause': 'raise memory limit to 1536Mi after OOMKilled',
      };
      const container = (
        d.spec as {
          template: { spec: { containers: Array<{ resources: { requests: object; limits: object } }> } };
        }
      ).template.spec.containers[0];
      container.resources = { requests: { cpu: '500m', memory: '1536Mi' }, limits: { memory: '1536Mi' } };
      setBehavior(d, 'bisheng-api', bishengOom('1536Mi'));
    });
  },
};
