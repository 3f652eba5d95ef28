import type { Command } from 'commander';
import { evidenceKeys } from '../../lambdas/shared/evidence/layout';
import { parseBucketOption } from './aws-targets';
import { CliError } from './cli-error';
import { incidentPrefixOf, listKeys, openEvidence, readText } from './evidence-reader';
import { DEFAULT_DATA_DIR } from './local-store';
import type { Streams } from './output';
import { terminalBlock, terminalJson } from '../../lambdas/shared/escape/terminal';

interface ReportOptions {
  json: boolean;
  bucket?: string;
  dataDir: string;
}

export function registerReportCommand(program: Command, streams: Streams): void {
  program
    .command('report')
    .description("Print an incident's post-incident report (report.md) from the evidence store")
    .argument('<incident-id>', 'the incident id, as `eks-incident evidence` lists it')
    .option('--json', 'print report.json instead of report.md', false)
    .option(
      '--bucket <s3://name>',
      'read a real S3 bucket (your AWS credentials) instead of the local store',
      parseBucketOption,
    )
    .option('--data-dir <dir>', 'where the local evidence store lives', DEFAULT_DATA_DIR)
    .addHelpText(
      'after',
      `
Examples:
  npx eks-incident report 20261122-031500-one-data-alldata-alldata-api-3f2a1c
  npx eks-incident report 20261122-031500-one-data-alldata-alldata-api-3f2a1c --json | jq .timeline
  npx eks-incident report 20261122-031500-one-data-alldata-alldata-api-3f2a1c --bucket s3://my-evidence-bucket`,
    )
    .action(async (incident: string, options: ReportOptions) => {
      const { id, prefix } = incidentPrefixOf(incident);
      const reader = await openEvidence(options);
      try {
        const key = options.json ? evidenceKeys.reportJson(prefix) : evidenceKeys.reportMarkdown(prefix);
        const text = await readText(reader, key);
        if (text === undefined) {
          const any = (await listKeys(reader, prefix)).length > 0;
          throw new CliError(
            any
              ? `incident ${id} has no report (its execution did not reach Report); its evidence is at ${reader.locator.uri(prefix)}`
              : `no incident ${id} in ${reader.locator.description}; list them with: eks-incident evidence`,
          );
        }
        // The report holds alert and cluster text: nothing in it may drive the terminal.
        const safe = options.json ? terminalJson(text) : terminalBlock(text);
        streams.out.write(safe.endsWith('\n') ? safe : `${safe}\n`);
      } finally {
        await reader.close();
      }
    });
}
