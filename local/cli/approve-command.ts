import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { terminalLine } from '../../lambdas/shared/escape/terminal';
import { CliError } from './cli-error';
import type { Streams } from './output';
import { SERVE_PORT, TOKEN_VARIABLE } from './serve-command';

interface ApproveOptions {
  reject: boolean;
  url: string;
  token?: string;
  by?: string;
}

/**
 * `eks-incident approve INCIDENT-ID [--reject]`: answers the incident's waiting approval request
 * from a terminal, through the `serve` that runs its execution (its operator route, with the
 * webhook's bearer token). The answer, and who gave it, land in the report and the notifications.
 */
export async function approveCommand(
  incidentId: string,
  options: ApproveOptions,
  streams: Streams,
): Promise<void> {
  const token = options.token ?? process.env[TOKEN_VARIABLE];
  if (!token) throw new CliError(`give serve's token with --token or $${TOKEN_VARIABLE}`);
  const base = options.url.replace(/\/+$/, '');
  const by = options.by ?? userInfo().username;
  let response: Response;
  try {
    response = await fetch(`${base}/approvals/${encodeURIComponent(incidentId)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: options.reject ? 'reject' : 'approve', by }),
    });
  } catch (error) {
    throw new CliError(`cannot reach eks-incident serve at ${base}: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    error?: string;
    decision?: string;
    action?: string;
    target?: string;
  };
  if (!response.ok) {
    throw new CliError(`${response.status}: ${terminalLine(body.error ?? response.statusText)}`);
  }
  streams.out.write(
    `${terminalLine(`${body.action ?? 'remediation'} of ${body.target ?? incidentId} ${body.decision ?? ''} by ${by}`)}\n`,
  );
}

export function registerApproveCommand(program: Command, streams: Streams): void {
  program
    .command('approve')
    .description("Approve (or reject) an incident's remediation that waits for a human")
    .argument('<incident-id>', 'the incident id, as the approval request names it')
    .option('--reject', 'reject it instead: nothing is changed and the incident is escalated', false)
    .option('--url <url>', 'where eks-incident serve listens', `http://127.0.0.1:${SERVE_PORT}`)
    .option('--token <token>', `serve's bearer token (default: $${TOKEN_VARIABLE})`)
    .option('--by <name>', 'who answers, for the report (default: your user name)')
    .addHelpText(
      'after',
      `
Examples:
  npx eks-incident approve 20261122-031500-one-data-alldata-alldata-api-3f2a1c --token "$TOKEN"
  npx eks-incident approve 20261122-031500-one-data-alldata-alldata-api-3f2a1c --reject`,
    )
    .action((incidentId: string, options: ApproveOptions) => approveCommand(incidentId, options, streams));
}
