import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { CaughtError, StepEvent } from './contracts';
import { InvalidInputError } from './errors';

/**
 * The contracts between the BackupVerification state machine (lib/constructs/backup-workflow.ts,
 * docs/backup-verification.md) and its Lambdas. The state document grows as the run goes:
 *
 *   $.source         the execution input (`schedule` from EventBridge Scheduler, `manual` by hand)
 *   $.run            Open Run (backup-report λ, action "open"): run id, start, report prefix
 *   $.restore        inside the restore-test branch only: the Jobs started and how they are doing
 *   $.checks         Verify Backups (Parallel): { s3, cronJobs, restoreTests }
 *   $.error          what a Catch caught
 *   $.report         Report (backup-report λ, action "report")
 */

export const backupInputSchema = z
  .object({
    /** Who started the run; a console execution may send `{}`. */
    source: z.enum(['schedule', 'manual']).default('manual'),
  })
  .strict();
export type BackupInput = z.output<typeof backupInputSchema>;

/** Validates the execution input, naming the first bad field (InvalidInputError is not retried or caught). */
export function parseBackupInput(raw: unknown): BackupInput {
  const result = backupInputSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : '(input)';
  throw new InvalidInputError(field, issue.message);
}

/** `$.run` */
export interface BackupRun {
  /** `<yyyymmdd>-<hhmmss>-<short hash of the execution>`: sortable, and a valid label value. */
  id: string;
  startedAt: string;
  /** `backup-verification/YYYY/MM/DD/<id>/` */
  prefix: string;
  source: BackupInput['source'];
}

export const BACKUP_REPORT_ROOT = 'backup-verification/';

/** The run's identity, the same from any step of the execution (each Lambda can derive it). */
export function backupRun(execution: StepEvent['execution'], source: BackupInput['source']): BackupRun {
  const started = new Date(execution.startTime);
  const [date, time] = started.toISOString().split('T');
  const hash = createHash('sha256').update(execution.id).digest('hex').slice(0, 6);
  const id = `${date.replaceAll('-', '')}-${time.slice(0, 8).replaceAll(':', '')}-${hash}`;
  const day = date.replaceAll('-', '/');
  return { id, startedAt: started.toISOString(), prefix: `${BACKUP_REPORT_ROOT}${day}/${id}/`, source };
}

export type CheckStatus = 'passed' | 'failed';

/**
 * Why a check failed, as a stable code (for filters and tests) and a sentence (for humans).
 *
 * S3: `missing` (no backup under the prefix), `stale`, `too-small` (suspiciously smaller than
 * the previous one), `truncated` (the stream ends early), `corrupt` (it does not decompress or
 * is not a valid archive), `checksum-mismatch`, `sidecar-missing`, `unreadable` (S3 refused).
 * CronJobs: `not-found`, `suspended`, `never-succeeded`, `stale`, `last-job-failed`.
 * Restore tests: `job-failed`, `timed-out`, `error` (the Job could not be run or watched).
 * Any section: `check-error` (the check itself failed; its error is in the report).
 */
export type FindingCode =
  | 'missing'
  | 'stale'
  | 'too-small'
  | 'truncated'
  | 'corrupt'
  | 'checksum-mismatch'
  | 'sidecar-missing'
  | 'unreadable'
  | 'not-found'
  | 'suspended'
  | 'never-succeeded'
  | 'last-job-failed'
  | 'job-failed'
  | 'timed-out'
  | 'error'
  | 'check-error';

export interface Finding {
  code: FindingCode;
  message: string;
}

export interface BackupObjectFacts {
  key: string;
  size: number;
  lastModified: string;
  ageHours: number;
}

/** One S3 source. */
export interface S3SourceResult {
  name: string;
  bucket: string;
  prefix: string;
  status: CheckStatus;
  /** How many backups the prefix holds. */
  objects: number;
  newest?: BackupObjectFacts & {
    /** Hex SHA-256 of the stored bytes, when the object was read to the end. */
    sha256?: string;
    /** gzip and tar.gz: the size once decompressed. */
    uncompressedBytes?: number;
    /** tar.gz: the archive's entries. */
    tarEntries?: number;
    sidecar: 'matched' | 'mismatched' | 'absent' | 'not-checked';
  };
  previous?: BackupObjectFacts;
  findings: Finding[];
}

/** One CronJob. */
export interface CronJobResult {
  namespace: string;
  name: string;
  status: CheckStatus;
  schedule?: string;
  suspended?: boolean;
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
  /** Hours since the last success. */
  ageHours?: number;
  /** The newest Job the CronJob made. */
  lastJob?: {
    name: string;
    state: 'succeeded' | 'failed' | 'running';
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    /** The end of its last pod's log, when it failed. */
    logTail?: string[];
  };
  findings: Finding[];
}

/** A restore-test Job while it runs (`$.restore.tests`). */
export interface RestoreTestProgress {
  name: string;
  namespace: string;
  job: string;
  startedAt: string;
  /** After this the test counts as timed out (its activeDeadlineSeconds has passed too). */
  deadline: string;
  state: 'running' | 'succeeded' | 'failed' | 'timed-out' | 'error';
  reason?: string;
  message?: string;
  finishedAt?: string;
}

/** `$.restore`, between Start, Check and Finish. */
export interface RestoreProgress {
  /** A Job is still running: wait and check again. */
  pending: boolean;
  /** Seconds of the Wait between checks. */
  pollSeconds: number;
  tests: RestoreTestProgress[];
}

export interface RestoreTestLog {
  pod: string;
  container: string;
  text: string;
}

/** One restore test, after it finished and was cleaned up. */
export interface RestoreTestResult {
  name: string;
  namespace: string;
  description?: string;
  job: string;
  status: CheckStatus;
  state: RestoreTestProgress['state'];
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  logs: RestoreTestLog[];
  /** The Job (and, with it, its pods) was deleted. */
  deleted: boolean;
  findings: Finding[];
}

/** What each branch of `Verify Backups` ends with; `error` when the check itself failed. */
export interface S3Checks {
  results: S3SourceResult[];
  error?: CaughtError;
}
export interface CronJobChecks {
  results: CronJobResult[];
  error?: CaughtError;
}
export interface RestoreTests {
  results: RestoreTestResult[];
  error?: CaughtError;
}

/** `$.checks` */
export interface BackupChecks {
  s3: S3Checks;
  cronJobs: CronJobChecks;
  restoreTests: RestoreTests;
}

/** `$.report` */
export interface BackupReportResult {
  outcome: 'passed' | 'failed';
  /** Failed checks (sources, CronJobs, restore tests, and sections that could not run). */
  failures: number;
  prefix: string;
  markdown: string;
  json: string;
  /** Channels that delivered (`sns`, `slack`); empty when a passing run sends no digest. */
  notified: string[];
}

/** The state document the backup Lambdas receive. */
export interface BackupState {
  source?: string;
  run?: BackupRun;
  restore?: RestoreProgress;
  checks?: BackupChecks;
  error?: CaughtError;
  report?: BackupReportResult;
}

export type BackupStepEvent<Params = Record<string, string>> = StepEvent<BackupState, Params>;

/** The run of an event: `$.run` once Open Run has set it, else derived the same way. */
export function runOf(event: BackupStepEvent): BackupRun {
  return (
    event.state.run ?? backupRun(event.execution, event.state.source === 'schedule' ? 'schedule' : 'manual')
  );
}
