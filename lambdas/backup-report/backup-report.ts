import { caughtErrorText } from '../shared/caught-error';
import {
  backupRun,
  parseBackupInput,
  runOf,
  type BackupChecks,
  type BackupReportResult,
  type BackupRun,
  type BackupStepEvent,
  type CronJobResult,
  type FindingCode,
  type RestoreTestResult,
  type S3SourceResult,
} from '../shared/backup-contracts';
import type { CaughtError, StepEvent } from '../shared/contracts';
import { ConfigurationError } from '../shared/errors';
import type { EvidenceObject, EvidenceStore } from '../shared/evidence/evidence-store';
import { evidenceLink } from '../shared/evidence/links';
import type { BackupNotice, BackupNotifier } from '../shared/notify/backup-notifier';
import { backupMarkdown } from './markdown';

export interface BackupReportDeps {
  evidence: EvidenceStore;
  notifier: BackupNotifier;
  /** For links in the notification. */
  bucket: string;
  region: string;
  /** Tell people when every check passed, too. */
  successDigest: boolean;
  now: () => Date;
}

export type BackupReportAction = 'open' | 'report';

export type ReportSection = 's3' | 'cronjob' | 'restore-test' | 'workflow';

/** One failed check in the report: which, why (a code and a sentence). */
export interface ReportFailure {
  section: ReportSection;
  check: string;
  code: FindingCode;
  message: string;
}

/** `report.json`: everything the run found, restore-test logs as keys of their own objects. */
export interface BackupReportDocument {
  runId: string;
  source: BackupRun['source'];
  startedAt: string;
  finishedAt: string;
  outcome: BackupReportResult['outcome'];
  summary: { checks: number; passed: number; failed: number };
  failures: ReportFailure[];
  s3: S3SourceResult[];
  cronJobs: CronJobResult[];
  restoreTests: Array<Omit<RestoreTestResult, 'logs'> & { logs: string[] }>;
  /** Sections (or the whole run) that could not be checked, with the error. */
  errors: Array<{ section: ReportSection; error: CaughtError }>;
}

const EMPTY: BackupChecks = { s3: { results: [] }, cronJobs: { results: [] }, restoreTests: { results: [] } };

export const checkName = {
  s3: (r: S3SourceResult) => `s3:${r.name}`,
  cronjob: (r: CronJobResult) => `cronjob:${r.namespace}/${r.name}`,
  restoreTest: (r: RestoreTestResult) => `restore-test:${r.name}`,
};

function logKey(prefix: string, test: RestoreTestResult, log: RestoreTestResult['logs'][number]): string {
  return `${prefix}restore-tests/${test.name}/${log.pod}/${log.container}.log`;
}

/** The report of a run, from the checks the state holds (absent when `Verify Backups` itself failed). */
export function backupReportDocument(
  run: BackupRun,
  checks: BackupChecks | undefined,
  workflowError: CaughtError | undefined,
  finishedAt: Date,
): BackupReportDocument {
  const { s3, cronJobs, restoreTests } = checks ?? EMPTY;
  const failures: ReportFailure[] = [
    ...s3.results.flatMap((r) =>
      r.findings.map((f) => ({ section: 's3' as const, check: checkName.s3(r), ...f })),
    ),
    ...cronJobs.results.flatMap((r) =>
      r.findings.map((f) => ({ section: 'cronjob' as const, check: checkName.cronjob(r), ...f })),
    ),
    ...restoreTests.results.flatMap((r) =>
      r.findings.map((f) => ({ section: 'restore-test' as const, check: checkName.restoreTest(r), ...f })),
    ),
  ];
  const errors: BackupReportDocument['errors'] = [
    ...(s3.error ? [{ section: 's3' as const, error: s3.error }] : []),
    ...(cronJobs.error ? [{ section: 'cronjob' as const, error: cronJobs.error }] : []),
    ...(restoreTests.error ? [{ section: 'restore-test' as const, error: restoreTests.error }] : []),
    ...(!checks && workflowError ? [{ section: 'workflow' as const, error: workflowError }] : []),
  ];
  for (const { section, error } of errors) {
    failures.push({
      section,
      check: section,
      code: 'check-error',
      message: `could not be checked: ${caughtErrorText(error)}`,
    });
  }
  const results = [...s3.results, ...cronJobs.results, ...restoreTests.results];
  const failed = results.filter((r) => r.status === 'failed').length;
  return {
    runId: run.id,
    source: run.source,
    startedAt: run.startedAt,
    finishedAt: finishedAt.toISOString(),
    outcome: failures.length ? 'failed' : 'passed',
    summary: { checks: results.length, passed: results.length - failed, failed },
    failures,
    s3: s3.results,
    cronJobs: cronJobs.results,
    restoreTests: restoreTests.results.map((r) => ({
      ...r,
      logs: r.logs.map((log) => logKey(run.prefix, r, log)),
    })),
    errors,
  };
}

function notice(
  document: BackupReportDocument,
  deps: BackupReportDeps,
  prefix: string,
  markdown: string,
): BackupNotice {
  const { checks, failed } = document.summary;
  const sectionErrors = document.errors.length;
  const title =
    document.outcome === 'passed'
      ? `Backups verified: all ${checks} checks passed`
      : `Backup verification failed: ${failed} of ${checks} checks${sectionErrors ? `, ${sectionErrors} not checked` : ''}`;
  return {
    runId: document.runId,
    outcome: document.outcome,
    title,
    failures: document.failures.map((f) => `${f.check}: [${f.code}] ${f.message}`),
    passed: [
      ...document.s3.filter((r) => r.status === 'passed').map(checkName.s3),
      ...document.cronJobs.filter((r) => r.status === 'passed').map(checkName.cronjob),
      ...document.restoreTests.filter((r) => r.status === 'passed').map((r) => `restore-test:${r.name}`),
    ],
    evidence: [
      evidenceLink(deps.bucket, deps.region, markdown, 'report.md'),
      evidenceLink(deps.bucket, deps.region, prefix, 'Report folder'),
    ],
  };
}

async function report(event: BackupStepEvent, deps: BackupReportDeps): Promise<BackupReportResult> {
  const run = runOf(event);
  const document = backupReportDocument(run, event.state.checks, event.state.error, deps.now());
  const written: EvidenceObject[] = [];
  for (const test of event.state.checks?.restoreTests.results ?? []) {
    for (const log of test.logs) {
      written.push(await deps.evidence.putText(logKey(run.prefix, test, log), log.text));
    }
  }
  const json = await deps.evidence.putJson(`${run.prefix}report.json`, document);
  const markdown = await deps.evidence.putText(
    `${run.prefix}report.md`,
    backupMarkdown(document),
    'text/markdown; charset=utf-8',
  );
  await deps.evidence.updateManifest(run.prefix, [...written, json, markdown]);
  const tell = document.outcome === 'failed' || deps.successDigest;
  const notified = tell ? await deps.notifier.notify(notice(document, deps, run.prefix, markdown.key)) : [];
  return {
    outcome: document.outcome,
    failures: document.failures.length,
    prefix: run.prefix,
    markdown: markdown.key,
    json: json.key,
    notified,
  };
}

/**
 * The backup-report function serves two states: `open` (Open Run) validates the execution
 * input and fixes the run's identity; `report` (Report) writes `report.json`, `report.md`, the
 * restore-test logs and the manifest under `backup-verification/YYYY/MM/DD/<run-id>/`, and
 * notifies: failures always, a passing run only as a digest when configured.
 */
export async function backupReport(
  event: StepEvent<unknown, { action: BackupReportAction }>,
  deps: () => Promise<BackupReportDeps>,
): Promise<BackupRun | BackupReportResult> {
  switch (event.params?.action) {
    case 'open':
      // Validated before anything else: bad input fails here, naming the field.
      return backupRun(event.execution, parseBackupInput(event.state).source);
    case 'report':
      return report(event as BackupStepEvent, await deps());
    default:
      throw new ConfigurationError(`unknown backup-report action "${String(event.params?.action)}"`);
  }
}
