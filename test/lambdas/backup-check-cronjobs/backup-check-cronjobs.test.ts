import { backupCheckCronJobs } from '../../../lambdas/backup-check-cronjobs/backup-check-cronjobs';
import { cronJobSourceSchema } from '../../../lambdas/shared/backup-config';
import type { CronJobChecks, CronJobResult } from '../../../lambdas/shared/backup-contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import {
  backupCronJob,
  writeBackupLogs,
  type BackupRun,
} from '../../../local/kube-sandbox/scenarios/workloads';
import { backupEvent } from '../backup-fixtures';

/*
 * Check CronJobs against the sandbox's demo scenario (mysql-backup healthy, milvus-backup
 * failing for three nights) plus CronJobs that fail in other ways, through the real adapter
 * over HTTP.
 */

const INFRA = 'one-data-infra';
const NOW = Date.parse('2026-11-22T06:00:00Z');
const HOUR = 3_600_000;
const NODE = 'ip-10-0-1-20.eu-west-1.compute.internal';

const REDIS_RUNS: BackupRun[] = [
  {
    scheduledAt: NOW - 28 * HOUR,
    seconds: 20,
    succeeded: true,
    logs: ['redis-cli --rdb /backup/dump.rdb', 'OK'],
  },
  {
    scheduledAt: NOW - 4 * HOUR,
    seconds: 3,
    succeeded: false,
    logs: ['redis-cli --rdb /backup/dump.rdb', 'Error: Connection reset by peer', 'upload failed: exit 1'],
  },
];

const succeeded = (scheduledAt: number): BackupRun => ({
  scheduledAt,
  seconds: 30,
  succeeded: true,
  logs: ['done'],
});

function cronJob(name: string, runs: BackupRun[], lastSuccessfulTime?: number) {
  return backupCronJob({
    namespace: INFRA,
    name,
    schedule: '0 2 * * *',
    image: 'redis:7.2.5',
    command: ['/scripts/backup.sh'],
    behavior: { mode: 'complete' },
    runs,
    lastSuccessfulTime,
    nodeName: NODE,
  });
}

let sandbox: Sandbox;
let checks: CronJobChecks;

beforeAll(async () => {
  const suspended = cronJob('etcd-snapshot', [succeeded(NOW - 3 * HOUR)], NOW - 3 * HOUR + 30_000);
  (suspended[0].spec as { suspend?: boolean }).suspend = true;
  sandbox = await startSandbox({
    scenario: 'demo',
    clock: { mode: 'manual', start: NOW },
    objects: [
      ...cronJob('redis-backup', REDIS_RUNS, NOW - 20 * HOUR + 20_000),
      ...suspended,
      ...cronJob('es-snapshot', [{ ...succeeded(NOW - 4 * HOUR), succeeded: false }]),
    ],
  });
  writeBackupLogs(sandbox, INFRA, { 'redis-backup': REDIS_RUNS });
  const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
    requestTimeoutMs: 5000,
  });
  checks = await backupCheckCronJobs(backupEvent(), {
    kube,
    cronJobs: ['mysql-backup', 'milvus-backup', 'redis-backup', 'etcd-snapshot', 'es-snapshot', 'gone'].map(
      (name) => cronJobSourceSchema.parse({ namespace: INFRA, name, maxAgeHours: 26 }),
    ),
    now: () => new Date(NOW),
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

function resultOf(name: string): CronJobResult {
  const result = checks.results.find((r) => r.name === name);
  if (!result) throw new Error(`no result for ${name}`);
  return result;
}

describe('backupCheckCronJobs', () => {
  it('passes a backup CronJob that succeeded last night and whose last Job completed', () => {
    // Assess
    expect(resultOf('mysql-backup')).toMatchObject({
      status: 'passed',
      schedule: '0 2 * * *',
      suspended: false,
      lastJob: { state: 'succeeded' },
      findings: [],
    });
    expect(resultOf('mysql-backup').ageHours).toBeLessThan(26);
  });

  it('fails the CronJob that stopped succeeding: stale, and its last Job failed, with the end of its log', () => {
    // Assess
    const milvus = resultOf('milvus-backup');
    expect(milvus.status).toBe('failed');
    expect(milvus.findings.map((f) => f.code)).toEqual(['stale', 'last-job-failed']);
    expect(milvus.ageHours).toBeGreaterThan(72);
    expect(milvus.lastJob).toMatchObject({ state: 'failed', reason: 'BackoffLimitExceeded' });
    expect(milvus.lastJob?.logTail?.at(-1)).toBe(
      'Error: backup backup_nightly failed: copy segment binlogs: The specified bucket does not exist.',
    );
    expect(milvus.findings[1].message).toMatch(
      /^the last Job milvus-backup-\d+ of CronJob one-data-infra\/milvus-backup failed \(BackoffLimitExceeded: Job has reached the specified backoff limit\); its log ends: Error: backup backup_nightly failed/,
    );
  });

  it('fails a CronJob whose last Job failed although it succeeded within the limit', () => {
    // Assess
    expect(resultOf('redis-backup').findings.map((f) => f.code)).toEqual(['last-job-failed']);
    expect(resultOf('redis-backup').lastJob?.logTail).toEqual([
      'redis-cli --rdb /backup/dump.rdb',
      'Error: Connection reset by peer',
      'upload failed: exit 1',
    ]);
  });

  it('fails a suspended CronJob, a CronJob that never succeeded, and one that does not exist', () => {
    // Assess
    expect(resultOf('etcd-snapshot').findings.map((f) => f.code)).toEqual(['suspended']);
    expect(resultOf('es-snapshot').findings.map((f) => f.code)).toEqual([
      'never-succeeded',
      'last-job-failed',
    ]);
    expect(resultOf('gone')).toMatchObject({
      status: 'failed',
      findings: [{ code: 'not-found', message: 'CronJob one-data-infra/gone does not exist' }],
    });
  });

  it('only reads: no write request reached the cluster', () => {
    // Assess
    expect(sandbox.requests.writes()).toEqual([]);
  });
});
