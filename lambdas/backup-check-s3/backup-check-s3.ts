import type { S3Source } from '../shared/backup-config';
import type {
  BackupObjectFacts,
  BackupStepEvent,
  Finding,
  S3Checks,
  S3SourceResult,
} from '../shared/backup-contracts';
import { inspectBackupStream } from './archive';
import type { BackupObjects, StoredObject } from './backup-objects';

export interface BackupCheckS3Deps {
  objects: BackupObjects;
  sources: S3Source[];
  now: () => Date;
}

const SIDECAR_SUFFIX = '.sha256';
/** `sha256sum` writes 64 hex digits, two spaces and the file name; 4 KiB is plenty. */
const SIDECAR_MAX_BYTES = 4096;
const HOUR_MS = 3_600_000;

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

function facts(object: StoredObject, now: Date): BackupObjectFacts {
  return {
    key: object.key,
    size: object.size,
    lastModified: object.lastModified.toISOString(),
    ageHours: round((now.getTime() - object.lastModified.getTime()) / HOUR_MS, 2),
  };
}

/** S3's own refusals (AccessDenied, NoSuchBucket, ...) are findings about the source, not crashes. */
function s3Refusal(error: unknown): string | undefined {
  const { name, message, $metadata } = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = $metadata?.httpStatusCode;
  if (status === undefined || status >= 500) return undefined;
  return `${name ?? 'Error'}: ${message ?? `HTTP ${status}`}`;
}

/** The backups of a source: not sidecars, not folder markers, with the configured suffix; newest first. */
function backupsOf(source: S3Source, listed: StoredObject[]): StoredObject[] {
  return listed
    .filter(
      (o) =>
        !o.key.endsWith(SIDECAR_SUFFIX) &&
        !o.key.endsWith('/') &&
        (source.suffix === undefined || o.key.endsWith(source.suffix)),
    )
    .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime() || b.key.localeCompare(a.key));
}

/** The digest a sidecar states: the first word, which must be 64 hex digits. */
function sidecarDigest(text: string): string | undefined {
  return /^\s*([0-9a-fA-F]{64})(\s|$)/.exec(text)?.[1]?.toLowerCase();
}

export async function checkS3Source(
  source: S3Source,
  objects: BackupObjects,
  now: Date,
): Promise<S3SourceResult> {
  const where = `s3://${source.bucket}/${source.prefix}${source.suffix ? `*${source.suffix}` : ''}`;
  const result: S3SourceResult = {
    name: source.name,
    bucket: source.bucket,
    prefix: source.prefix,
    status: 'passed',
    objects: 0,
    findings: [],
  };
  const findings: Finding[] = result.findings;
  const done = (): S3SourceResult => ({
    name: result.name,
    bucket: result.bucket,
    prefix: result.prefix,
    status: findings.length ? 'failed' : 'passed',
    objects: result.objects,
    ...(result.newest ? { newest: result.newest } : {}),
    ...(result.previous ? { previous: result.previous } : {}),
    findings,
  });

  let listed: StoredObject[];
  try {
    listed = await objects.list(source.bucket, source.prefix);
  } catch (error) {
    const refusal = s3Refusal(error);
    if (!refusal) throw error;
    findings.push({ code: 'unreadable', message: `cannot list ${where}: ${refusal}` });
    return done();
  }
  const backups = backupsOf(source, listed);
  result.objects = backups.length;
  const [newest, previous] = backups;
  if (!newest) {
    findings.push({ code: 'missing', message: `no backup under ${where}` });
    return done();
  }
  const newestFacts = facts(newest, now);
  if (previous) result.previous = facts(previous, now);
  if (newestFacts.ageHours > source.maxAgeHours) {
    findings.push({
      code: 'stale',
      message: `the newest backup ${newest.key} is ${round(newestFacts.ageHours)} h old (written ${newestFacts.lastModified}); the limit is ${source.maxAgeHours} h`,
    });
  }
  if (previous && previous.size > 0 && newest.size < source.minSizeRatio * previous.size) {
    findings.push({
      code: 'too-small',
      message: `the newest backup ${newest.key} is ${size(newest.size)}, ${Math.round((100 * newest.size) / previous.size)}% of the previous one (${previous.key}, ${size(previous.size)}); at least ${Math.round(source.minSizeRatio * 100)}% was expected`,
    });
  }

  const sidecarKey = `${newest.key}${SIDECAR_SUFFIX}`;
  const hasSidecar = listed.some((o) => o.key === sidecarKey);
  result.newest = { ...newestFacts, sidecar: 'not-checked' };
  try {
    const stream = await inspectBackupStream(await objects.read(source.bucket, newest.key), source.format);
    result.newest = {
      ...result.newest,
      sha256: stream.sha256,
      uncompressedBytes: stream.uncompressedBytes,
      tarEntries: stream.tarEntries,
    };
    if (stream.problem) {
      findings.push({ code: stream.problem.code, message: `${newest.key}: ${stream.problem.message}` });
    }
    if (source.sidecar !== 'none' && hasSidecar) {
      const stated = sidecarDigest(await objects.readText(source.bucket, sidecarKey, SIDECAR_MAX_BYTES));
      const matched = stated === stream.sha256;
      result.newest.sidecar = matched ? 'matched' : 'mismatched';
      if (!matched) {
        findings.push({
          code: 'checksum-mismatch',
          message: stated
            ? `${newest.key} has SHA-256 ${stream.sha256}, but ${sidecarKey} states ${stated}`
            : `${sidecarKey} does not start with a SHA-256 digest`,
        });
      }
    } else if (source.sidecar !== 'none') {
      result.newest.sidecar = 'absent';
      if (source.sidecar === 'required') {
        findings.push({ code: 'sidecar-missing', message: `${newest.key} has no ${sidecarKey} sidecar` });
      }
    }
  } catch (error) {
    const refusal = s3Refusal(error);
    if (!refusal) throw error;
    findings.push({
      code: 'unreadable',
      message: `cannot read s3://${source.bucket}/${newest.key}: ${refusal}`,
    });
  }
  return done();
}

/**
 * Check S3 Backups: every configured source, concurrently (each streams in constant memory).
 * A source that S3 refuses to list or read is a finding about that source; throttling and
 * server errors that outlast the SDK's own retries fail the step, and the report shows the
 * whole S3 section as not checked.
 */
export async function backupCheckS3(_event: BackupStepEvent, deps: BackupCheckS3Deps): Promise<S3Checks> {
  const now = deps.now();
  return {
    results: await Promise.all(deps.sources.map((source) => checkS3Source(source, deps.objects, now))),
  };
}
