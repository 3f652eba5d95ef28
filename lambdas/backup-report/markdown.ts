import { caughtErrorText } from '../shared/caught-error';
import type { BackupReportDocument } from './backup-report';

/** `report.md`: what a human reads first: the verdict, what failed and why, then every check. */

function cell(value: unknown): string {
  return String(value ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
}

function table(header: string[], rows: unknown[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

function mark(status: string): string {
  return status === 'passed' ? '✅ passed' : '❌ failed';
}

export function backupMarkdown(d: BackupReportDocument): string {
  const lines: string[] = [
    `# Backup verification ${d.runId}: ${d.outcome === 'passed' ? 'passed' : 'FAILED'}`,
    '',
    `Started ${d.startedAt} (${d.source}), finished ${d.finishedAt}.`,
    `${d.summary.checks} checks: ${d.summary.passed} passed, ${d.summary.failed} failed` +
      (d.errors.length ? `; ${d.errors.length} section(s) could not be checked.` : '.'),
    '',
  ];
  if (d.failures.length) {
    lines.push(
      '## Failures',
      '',
      ...d.failures.map((f) => `- **${f.check}** \`${f.code}\`: ${f.message}`),
      '',
    );
  }
  if (d.s3.length) {
    lines.push(
      '## S3 backups',
      '',
      ...table(
        ['source', 'status', 'newest', 'size', 'age (h)', 'content', 'sha256 sidecar'],
        d.s3.map((r) => [
          `${r.name} (s3://${r.bucket}/${r.prefix})`,
          mark(r.status),
          r.newest?.key ?? '(none)',
          r.newest?.size,
          r.newest?.ageHours,
          r.newest?.tarEntries !== undefined
            ? `${r.newest.tarEntries} tar entries, ${r.newest.uncompressedBytes} bytes`
            : r.newest?.uncompressedBytes !== undefined
              ? `${r.newest.uncompressedBytes} bytes decompressed`
              : '',
          r.newest?.sidecar,
        ]),
      ),
      '',
    );
  }
  if (d.cronJobs.length) {
    lines.push(
      '## Backup CronJobs',
      '',
      ...table(
        ['CronJob', 'status', 'schedule', 'last success', 'age (h)', 'last Job'],
        d.cronJobs.map((r) => [
          `${r.namespace}/${r.name}`,
          mark(r.status),
          r.schedule,
          r.lastSuccessfulTime ?? 'never',
          r.ageHours,
          r.lastJob
            ? `${r.lastJob.name} ${r.lastJob.state}${r.lastJob.reason ? ` (${r.lastJob.reason})` : ''}`
            : '',
        ]),
      ),
      '',
    );
    for (const r of d.cronJobs.filter((c) => c.lastJob?.logTail?.length)) {
      lines.push(`Log of ${r.lastJob!.name}:`, '', '```', ...r.lastJob!.logTail!, '```', '');
    }
  }
  if (d.restoreTests.length) {
    lines.push(
      '## Restore tests',
      '',
      ...table(
        ['test', 'status', 'Job', 'state', 'duration (s)', 'deleted', 'logs'],
        d.restoreTests.map((r) => [
          r.description ? `${r.name}: ${r.description}` : r.name,
          mark(r.status),
          `${r.namespace}/${r.job}`,
          r.state,
          r.durationSeconds,
          r.deleted ? 'yes' : 'no',
          r.logs.join(', '),
        ]),
      ),
      '',
    );
  }
  if (d.errors.length) {
    lines.push(
      '## Not checked',
      '',
      ...d.errors.map((e) => `- ${e.section}: ${caughtErrorText(e.error)}`),
      '',
    );
  }
  return lines.join('\n');
}
