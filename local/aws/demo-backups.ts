import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { StoredS3Object } from './stored-objects';

/*
 * The S3 side of the demo scenario's nightly backups (local/kube-sandbox/scenarios/demo.ts;
 * the runbook's "备份恢复" section): what the backup CronJobs left in s3://one-data-backups.
 *
 * - mysql/: one `mysqldump | gzip` per night from mysql-backup (02:00, about 4 minutes), each
 *   with the `.sha256` sidecar the backup script writes: fresh, complete, intact.
 * - milvus/: the `milvus-backup create` archives, packed as tar.gz. milvus-backup has failed
 *   for three nights, so the newest is four days old: stale.
 *
 * MinIO is mirrored to a volume, not to S3, so only its CronJob is checked.
 * examples/backup-sources.json is the configuration that verifies all of it.
 */

export const DEMO_BACKUP_BUCKET = 'one-data-backups';

const DAY = 86_400_000;
const TABLES = [
  'users',
  'datasets',
  'dataset_versions',
  'workflows',
  'workflow_runs',
  'api_tokens',
  'audit_log',
];

/** The same time of day `daysBack` days before the most recent one at or before `now` (UTC). */
function dailyAt(now: number, hour: number, minute: number, daysBack: number): number {
  const d = new Date(now);
  d.setUTCHours(hour, minute, 0, 0);
  if (d.getTime() > now) d.setUTCDate(d.getUTCDate() - 1);
  return d.getTime() - daysBack * DAY;
}

/** `YYYYMMDD` as the backup scripts stamp their files (the demo scenario's log lines name the same keys). */
function stamp(now: number, daysBack: number): string {
  return new Date(now - daysBack * DAY).toISOString().slice(0, 10).replaceAll('-', '');
}

/** A plausible `mysqldump one_data_studio`, a little larger every night. */
function mysqlDump(at: number, rowsPerTable: number): Buffer {
  const lines = [
    '-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)',
    '--',
    '-- Host: mysql.one-data-infra    Database: one_data_studio',
    '-- ------------------------------------------------------',
    '-- Server version\t8.0.36',
    '/*!40101 SET NAMES utf8mb4 */;',
  ];
  for (const table of TABLES) {
    lines.push(
      `DROP TABLE IF EXISTS \`${table}\`;`,
      `CREATE TABLE \`${table}\` (\`id\` bigint NOT NULL AUTO_INCREMENT, \`name\` varchar(255) NOT NULL, \`created_at\` datetime NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;`,
      `LOCK TABLES \`${table}\` WRITE;`,
    );
    for (let row = 1; row <= rowsPerTable; row++) {
      lines.push(`INSERT INTO \`${table}\` VALUES (${row},'${table}-${row}','2026-01-01 00:00:00');`);
    }
    lines.push('UNLOCK TABLES;');
  }
  lines.push(`-- Dump completed on ${new Date(at).toISOString().replace('T', ' ').slice(0, 19)}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** A POSIX ustar archive of regular files, as `tar -cf` writes it (end marker included). */
function ustar(entries: Array<{ name: string; body: Buffer }>, mtime: number): Buffer {
  const parts: Buffer[] = [];
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  for (const entry of entries) {
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    header.write(octal(0o644, 8), 100);
    header.write(octal(0, 8), 108);
    header.write(octal(0, 8), 116);
    header.write(octal(entry.body.length, 12), 124);
    header.write(octal(Math.floor(mtime / 1000), 12), 136);
    header.write(' '.repeat(8), 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.write('root', 265);
    header.write('root', 297);
    const sum = header.reduce((total, byte) => total + byte, 0);
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(header, entry.body, Buffer.alloc((512 - (entry.body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function milvusBackup(name: string, at: number): Buffer {
  const collections = ['knowledge_chunks', 'qa_pairs', 'agent_memory'];
  const entries = [
    {
      name: `${name}/meta/backup_meta.json`,
      body: Buffer.from(
        JSON.stringify({ name, backup_timestamp: at, milvus_version: 'v2.4.5', collections }),
      ),
    },
    ...collections.map((collection, i) => ({
      name: `${name}/binlogs/insert_log/${collection}/segment_${4521 + i}.binlog`,
      body: Buffer.from(`${collection} `.repeat(400 + 50 * i)),
    })),
  ];
  return gzipSync(ustar(entries, at));
}

function sha256sum(body: Buffer, key: string): Buffer {
  return Buffer.from(`${createHash('sha256').update(body).digest('hex')}  ${key.split('/').pop()}\n`);
}

/**
 * The objects to start the local S3 with (`startLocalAws({ s3Objects })`), dated relative to
 * `now`, the sandbox clock's time when the demo scenario was created.
 */
export function demoBackupObjects(now: number): StoredS3Object[] {
  const objects: StoredS3Object[] = [];
  for (const daysBack of [2, 1, 0]) {
    // mysql-backup runs at 02:00 and uploads after its 4m12s dump.
    const at = dailyAt(now, 2, 4, daysBack) + 12_000;
    const key = `mysql/one_data_studio-${stamp(now, daysBack)}.sql.gz`;
    const body = gzipSync(mysqlDump(at, 120 - 5 * daysBack));
    objects.push(
      { bucket: DEMO_BACKUP_BUCKET, key, body, lastModified: new Date(at), contentType: 'application/gzip' },
      {
        bucket: DEMO_BACKUP_BUCKET,
        key: `${key}.sha256`,
        body: sha256sum(body, key),
        lastModified: new Date(at + 1000),
        contentType: 'text/plain',
      },
    );
  }
  // The last three milvus-backup runs failed: its newest archive is from four nights ago.
  for (const daysBack of [6, 5, 4]) {
    const at = dailyAt(now, 3, 1, daysBack) + 41_000;
    const name = `backup_nightly-${stamp(now, daysBack)}`;
    objects.push({
      bucket: DEMO_BACKUP_BUCKET,
      key: `milvus/${name}.tar.gz`,
      body: milvusBackup(name, at),
      lastModified: new Date(at),
      contentType: 'application/gzip',
    });
  }
  return objects;
}
