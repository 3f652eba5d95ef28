import { InvalidArgumentError, type Command } from 'commander';
import { targetText } from '../../lambdas/shared/contracts';
import { evidenceKeys } from '../../lambdas/shared/evidence/layout';
import type { IncidentReport } from '../../lambdas/report/incident-report';
import { parseBucketOption } from './aws-targets';
import { listKeys, openEvidence, readText } from './evidence-reader';
import { OUTCOME_TEXT } from './incident-summary';
import { DEFAULT_DATA_DIR } from './local-store';
import type { Streams } from './output';
import { table } from './text-format';
import { terminalJson } from '../../lambdas/shared/escape/terminal';

interface EvidenceOptions {
  json: boolean;
  limit: number;
  bucket?: string;
  dataDir: string;
}

/** One incident in the store, as `evidence` lists it. */
export interface StoredIncident {
  id: string;
  openedAt?: string;
  target?: IncidentReport['target'];
  /** The report's outcome; absent when the execution never wrote a report. */
  outcome?: IncidentReport['outcome'];
  prefix: string;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return limit;
}

/** `incidents/YYYY/MM/DD/<id>/...` → `incidents/YYYY/MM/DD/<id>/` */
function incidentPrefixes(keys: string[]): string[] {
  const prefixes = new Set<string>();
  for (const key of keys) {
    const parts = key.split('/');
    if (parts.length > 5) prefixes.add(`${parts.slice(0, 5).join('/')}/`);
  }
  // Incident ids start with their opening time, so the prefixes sort chronologically.
  return [...prefixes].sort((a, b) => a.split('/')[4].localeCompare(b.split('/')[4]));
}

export function registerEvidenceCommand(program: Command, streams: Streams): void {
  program
    .command('evidence')
    .description('List the incidents in the evidence store: id, date, target, outcome, prefix')
    .option('--json', 'print JSON instead of a table', false)
    .option('--limit <n>', 'show only the most recent n incidents', parseLimit, 50)
    .option(
      '--bucket <s3://name>',
      'list a real S3 bucket (your AWS credentials) instead of the local store',
      parseBucketOption,
    )
    .option('--data-dir <dir>', 'where the local evidence store lives', DEFAULT_DATA_DIR)
    .addHelpText(
      'after',
      `
Examples:
  npx eks-incident evidence
  npx eks-incident evidence --bucket s3://my-evidence-bucket --limit 10
  npx eks-incident evidence --json | jq -r '.[] | select(.outcome == "escalated") | .id'`,
    )
    .action(async (options: EvidenceOptions) => {
      const reader = await openEvidence(options);
      try {
        const prefixes = incidentPrefixes(await listKeys(reader, 'incidents/')).slice(-options.limit);
        const incidents = await Promise.all(
          prefixes.map(async (prefix): Promise<StoredIncident> => {
            const text = await readText(reader, evidenceKeys.reportJson(prefix));
            const report = text ? (JSON.parse(text) as IncidentReport) : undefined;
            return {
              id: prefix.split('/')[4],
              ...(report
                ? { openedAt: report.openedAt, target: report.target, outcome: report.outcome }
                : {}),
              prefix: reader.locator.uri(prefix),
            };
          }),
        );
        if (options.json) {
          streams.out.write(`${terminalJson(JSON.stringify(incidents, null, 2))}\n`);
          return;
        }
        if (incidents.length === 0) {
          streams.err.write(`No incidents in ${reader.locator.description} yet.\n`);
          return;
        }
        streams.out.write(
          table(
            ['INCIDENT', 'OPENED', 'TARGET', 'OUTCOME', 'PREFIX'],
            incidents.map((i) => [
              i.id,
              i.openedAt ? i.openedAt.replace(/\.\d+Z$/, 'Z') : '-',
              i.target ? targetText(i.target) : '-',
              i.outcome ? OUTCOME_TEXT[i.outcome] : 'no report',
              i.prefix,
            ]),
          ),
        );
      } finally {
        await reader.close();
      }
    });
}
