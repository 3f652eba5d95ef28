import { S3Client } from '@aws-sdk/client-s3';
import { backupCheckS3 } from '../../../lambdas/backup-check-s3/backup-check-s3';
import { S3BackupObjects } from '../../../lambdas/backup-check-s3/backup-objects';
import { s3SourceSchema, type S3Source } from '../../../lambdas/shared/backup-config';
import type { S3Checks, S3SourceResult } from '../../../lambdas/shared/backup-contracts';
import { startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import type { StoredS3Object } from '../../../local/aws/stored-objects';
import { backupEvent, gzip, sha256sum, sqlDump, tarGz } from '../backup-fixtures';

/*
 * Check S3 Backups against S3 on fauxqs over HTTP, holding backups written on earlier nights
 * (the emulator loads them with their Last-Modified), each source showing one way a backup
 * goes wrong.
 */

const NOW = new Date('2026-11-22T06:00:00Z');
const BUCKET = 'one-data-backups';
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);

const dump = (rows: number) => gzip(sqlDump(rows));
const nightly = (
  prefix: string,
  body: Buffer,
  hours: number,
  name = `backup-${hours}.sql.gz`,
): StoredS3Object => ({
  bucket: BUCKET,
  key: `${prefix}${name}`,
  body,
  lastModified: hoursAgo(hours),
});
const sidecar = (object: StoredS3Object, of: Buffer = object.body): StoredS3Object => ({
  ...object,
  key: `${object.key}.sha256`,
  body: sha256sum(of, object.key.split('/').pop()!),
});

const fresh = nightly('fresh/', dump(400), 4);
const truncatedWhole = dump(400);
const tooSmall = dump(5);
const mismatched = nightly('mismatch/', dump(400), 4);
const archive = nightly(
  'milvus/',
  tarGz({ 'meta/backup_meta.json': '{}', 'binlogs/1.binlog': 'x'.repeat(3000) }),
  5,
  'b.tar.gz',
);

const OBJECTS: StoredS3Object[] = [
  nightly('fresh/', dump(390), 28),
  fresh,
  sidecar(fresh),
  nightly('stale/', dump(400), 30),
  nightly('truncated/', dump(400), 28),
  nightly('truncated/', truncatedWhole.subarray(0, truncatedWhole.length - 300), 4),
  nightly('too-small/', dump(400), 28),
  nightly('too-small/', tooSmall, 4),
  nightly('corrupt/', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(200, 0x41)]), 4),
  mismatched,
  sidecar(mismatched, dump(401)),
  nightly('no-sidecar/', dump(400), 4),
  archive,
  // Not backups of the source: another suffix, and a folder marker.
  nightly('milvus/', Buffer.from('notes'), 1, 'README.txt'),
  nightly('milvus/', Buffer.alloc(0), 1, 'old/'),
];

function source(name: string, overrides: Partial<S3Source> = {}): S3Source {
  return s3SourceSchema.parse({
    name,
    bucket: BUCKET,
    prefix: `${name}/`,
    maxAgeHours: 26,
    format: 'gzip',
    ...overrides,
  });
}

const SOURCES: S3Source[] = [
  source('fresh', { sidecar: 'required' }),
  source('stale'),
  source('missing'),
  source('truncated'),
  source('too-small', { minSizeRatio: 0.5 }),
  source('corrupt'),
  source('mismatch'),
  source('no-sidecar', { sidecar: 'required' }),
  source('milvus', { format: 'tar.gz', suffix: '.tar.gz' }),
  source('elsewhere', { bucket: 'no-such-bucket' }),
];

let aws: LocalAws;
let checks: S3Checks;

beforeAll(async () => {
  aws = await startLocalAws({ s3Objects: OBJECTS });
  checks = await backupCheckS3(backupEvent(), {
    objects: new S3BackupObjects(aws.s3),
    sources: SOURCES,
    now: () => NOW,
  });
});

afterAll(async () => {
  await aws.stop();
});

function resultOf(name: string): S3SourceResult {
  const result = checks.results.find((r) => r.name === name);
  if (!result) throw new Error(`no result for ${name}`);
  return result;
}

const codes = (name: string) => resultOf(name).findings.map((f) => f.code);

describe('backupCheckS3', () => {
  it('passes a fresh, complete gzip backup whose sidecar matches', () => {
    // Assess
    expect(resultOf('fresh')).toMatchObject({
      status: 'passed',
      objects: 2,
      findings: [],
      newest: {
        key: 'fresh/backup-4.sql.gz',
        size: fresh.body.length,
        ageHours: 4,
        sidecar: 'matched',
        uncompressedBytes: Buffer.byteLength(sqlDump(400)),
      },
      previous: { key: 'fresh/backup-28.sql.gz', ageHours: 28 },
    });
  });

  it('fails a backup older than its maximum age', () => {
    // Assess
    expect(codes('stale')).toEqual(['stale']);
    expect(resultOf('stale').findings[0].message).toBe(
      'the newest backup stale/backup-30.sql.gz is 30 h old (written 2026-11-21T00:00:00.000Z); the limit is 26 h',
    );
  });

  it('fails a prefix with no backup', () => {
    // Assess
    expect(resultOf('missing')).toMatchObject({
      status: 'failed',
      objects: 0,
      findings: [{ code: 'missing', message: 'no backup under s3://one-data-backups/missing/' }],
    });
  });

  it('fails a gzip backup cut short', () => {
    // Assess
    expect(codes('truncated')).toEqual(['truncated']);
    expect(resultOf('truncated').findings[0].message).toMatch(
      /^truncated\/backup-4\.sql\.gz: the gzip stream ends early/,
    );
  });

  it('fails a backup suspiciously smaller than the one before it', () => {
    // Assess
    expect(codes('too-small')).toEqual(['too-small']);
    expect(resultOf('too-small').findings[0].message).toMatch(
      /^the newest backup too-small\/backup-4\.sql\.gz is .*, \d+% of the previous one \(too-small\/backup-28\.sql\.gz, .*\); at least 50% was expected$/,
    );
  });

  it('fails a gzip backup that does not decompress', () => {
    // Assess
    expect(codes('corrupt')).toEqual(['corrupt']);
  });

  it('fails a backup whose .sha256 sidecar states another digest', () => {
    // Assess
    expect(codes('mismatch')).toEqual(['checksum-mismatch']);
    expect(resultOf('mismatch').newest?.sidecar).toBe('mismatched');
    expect(resultOf('mismatch').findings[0].message).toMatch(
      /^mismatch\/backup-4\.sql\.gz has SHA-256 [0-9a-f]{64}, but mismatch\/backup-4\.sql\.gz\.sha256 states [0-9a-f]{64}$/,
    );
  });

  it('fails a backup without the sidecar its source requires', () => {
    // Assess
    expect(codes('no-sidecar')).toEqual(['sidecar-missing']);
  });

  it('walks the newest tar.gz with the configured suffix, ignoring other keys and folder markers', () => {
    // Assess
    expect(resultOf('milvus')).toMatchObject({
      status: 'passed',
      objects: 1,
      newest: { key: 'milvus/b.tar.gz', tarEntries: 5, sidecar: 'absent' },
    });
  });

  it('reports a bucket S3 refuses as unreadable, not as a crash', () => {
    // Assess
    expect(resultOf('elsewhere')).toMatchObject({
      status: 'failed',
      findings: [
        {
          code: 'unreadable',
          message: expect.stringMatching(/^cannot list s3:\/\/no-such-bucket\/elsewhere\/: NoSuchBucket/),
        },
      ],
    });
  });

  it('fails the step when S3 cannot be reached at all (the report shows the section as not checked)', async () => {
    // Prepare: an endpoint nobody listens on.
    const unreachable = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });

    // Act + Assess
    await expect(
      backupCheckS3(backupEvent(), {
        objects: new S3BackupObjects(unreachable),
        sources: [source('fresh')],
        now: () => NOW,
      }),
    ).rejects.toThrow();
    unreachable.destroy();
  });
});
