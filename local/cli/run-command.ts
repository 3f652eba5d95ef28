import { userInfo } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Command } from 'commander';
import { parseExecutionInput, targetText, type ExecutionInput } from '../../lambdas/shared/contracts';
import { lockName } from '../../lambdas/guard/guard';
import { configSchema } from '../../lib/config';
import { cachedDefinitions } from '../../lib/definitions-cache';
import { startLocalAws, type LocalAws } from '../aws/local-aws';
import { LocalExecutionRegistry } from '../engine/execution-registry';
import type { LocalStepEnvironment } from '../engine/local-steps';
import { unheardIncident } from '../engine/unheard';
import { openBucket, openTopic, parseBucketOption, parseTopicArnOption, type Bucket } from './aws-targets';
import { CliError } from './cli-error';
import { RULES_OPTION_HELP, rulesFileOption } from './rules-option';
import { checkTarget, connectCluster } from './cluster';
import { localNotifications, watchedRun, type DeliveredNotification } from './incident-runner';
import { evidenceSection, OUTCOME_TEXT, summaryTable, type EvidenceLocator } from './incident-summary';
import { LiveView } from './live-view';
import { DEFAULT_DATA_DIR, LocalStore } from './local-store';
import { bucketLocator, localLocator } from './locators';
import type { Output, Streams } from './output';
import { parseNamespaces } from './rbac-command';
import { terminalJson, terminalLine } from '../../lambdas/shared/escape/terminal';

export interface RunOptions {
  input: string;
  kubeconfig?: string;
  context?: string;
  allowedNamespaces?: string[];
  dryRun: boolean;
  bucket?: string;
  topicArn?: string;
  dataDir: string;
  json: boolean;
  /** `--rules FILE`: the user's diagnosis rules. */
  rules?: string;
  /**
   * Approve in advance every remediation the policy holds for a human (you are that human): a
   * rollback, by default. Without it such a request is refused at once and the incident escalates.
   */
  approve: boolean;
}

/** Exit code of a run that ended escalated: the flow worked, and a human is needed. */
export const ESCALATED_EXIT_CODE = 2;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The execution input from `--input` (a file, or `-` for stdin), as the console takes it. */
export async function readInput(source: string): Promise<ExecutionInput> {
  const name = source === '-' ? 'stdin' : source;
  let text: string;
  try {
    text = source === '-' ? await readStdin() : await readFile(source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `input file ${source} not found: pass the execution input as --input FILE (or - for stdin)`
        : `cannot read input ${name}: ${(error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `input ${name} is not valid JSON (${(error as Error).message}); see docs/workflow.md for the shape`,
    );
  }
  try {
    return parseExecutionInput(raw);
  } catch (error) {
    throw new CliError(`input ${name}: ${(error as Error).message}`);
  }
}

/**
 * The namespaces the flow may act in. They are the operator's consent, not the input's: an
 * input file (a captured alert, a colleague's example) must never by itself make its target
 * writable, or the guard's namespace check would always pass. So a run that may act needs
 * --allowed-namespaces; a dry run never writes, and allowing its target's namespace only keeps
 * its guard decision (dry-run) the same as the deployed stack's.
 */
export function allowedNamespacesFor(options: RunOptions, input: ExecutionInput, notices: Output): string[] {
  const namespace = input.target.namespace;
  if (!options.allowedNamespaces) {
    if (!input.options.dryRun) {
      throw new CliError(
        `--allowed-namespaces is required to let the flow restart or roll back (e.g. --allowed-namespaces ${namespace}); add --dry-run to only diagnose`,
      );
    }
    notices.write(
      `Dry run: allowing namespace ${namespace} only (nothing is written to the cluster anyway).\n`,
    );
    return [namespace];
  }
  if (!options.allowedNamespaces.includes(namespace)) {
    notices.write(
      `Note: ${namespace} is not in --allowed-namespaces; the flow will diagnose and escalate without acting.\n`,
    );
  }
  return options.allowedNamespaces;
}

/** The user's own S3 bucket and SNS topic, checked before anything starts. */
interface RemoteTargets {
  bucket?: Bucket;
  sns?: SNSClient;
}

async function openRemoteTargets(options: RunOptions): Promise<RemoteTargets> {
  const bucket = options.bucket ? await openBucket(options.bucket) : undefined;
  try {
    return { bucket, sns: options.topicArn ? await openTopic(options.topicArn) : undefined };
  } catch (error) {
    bucket?.s3.destroy();
    throw error;
  }
}

interface Destinations {
  aws: LocalStepEnvironment['aws'];
  locator: EvidenceLocator;
  /** The embedded emulator, when notifications stay local (and evidence, without --bucket). */
  localTopic?: LocalAws;
  notifications: string;
  close(): Promise<void>;
}

/** Evidence to the local store or the bucket; notifications to the local topic or the real one. */
async function openDestinations(options: RunOptions, remote: RemoteTargets): Promise<Destinations> {
  const { bucket, sns } = remote;
  const store = new LocalStore(options.dataDir);
  // The emulator holds the local topic; its S3 is the local store only without --bucket.
  const local = bucket && sns ? undefined : bucket ? await startLocalAws() : await store.start();
  return {
    aws: {
      s3: bucket?.s3 ?? local!.s3,
      sns: sns ?? local!.sns,
      region: bucket?.region ?? local!.region,
      bucket: bucket?.bucket ?? local!.bucket,
      topicArn: options.topicArn ?? local!.topicArn,
    },
    locator: bucket ? bucketLocator(bucket.bucket, bucket.region) : localLocator(store),
    ...(local && !sns ? { localTopic: local } : {}),
    notifications:
      options.topicArn ?? 'the local SNS topic (printed below; pass --topic-arn to page for real)',
    async close() {
      bucket?.s3.destroy();
      sns?.destroy();
      await local?.stop();
    },
  };
}

export async function runCommand(options: RunOptions, streams: Streams): Promise<void> {
  const progress = options.json ? streams.err : streams.out;
  const read = await readInput(options.input);
  const input: ExecutionInput = options.dryRun
    ? { ...read, options: { ...read.options, dryRun: true } }
    : read;
  const allowedNamespaces = allowedNamespacesFor(options, input, progress);
  const config = {
    ...configSchema.parse({ clusterName: 'local', allowedNamespaces }),
    rulesFile: rulesFileOption(options.rules),
  };
  const cluster = connectCluster({
    kubeconfig: options.kubeconfig,
    context: options.context,
    requestTimeoutMs: config.kubeRequestTimeoutMs,
  });
  await checkTarget(cluster, input.target);

  const remote = await openRemoteTargets(options);
  let synthesized;
  try {
    progress.write('Synthesizing the state machine with CDK (a few seconds)...\n');
    synthesized = cachedDefinitions({
      clusterName: cluster.name,
      allowedNamespaces: allowedNamespaces.join(','),
    });
  } catch (error) {
    remote.bucket?.s3.destroy();
    remote.sns?.destroy();
    throw error;
  }
  const destinations = await openDestinations(options, remote);
  const label = input.target.kind === 'Namespace' ? input.target.namespace : input.target.name;
  const onInterrupt = () => {
    const lock =
      input.target.kind === 'Namespace'
        ? ''
        : ` If it held the lock, Lease ${input.target.namespace}/${lockName(input.target)} lapses at the end of its remediation window (at most ${config.lockTtlSeconds}s), or the next run takes it over.`;
    streams.err.write(`\neks-incident: interrupted; the incident flow stopped mid-way.${lock}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    progress.write(
      [
        `Incident flow for ${targetText(input.target)}${input.options.dryRun ? ' (dry run: nothing is changed)' : ''}`,
        `  cluster        ${cluster.server} (context ${cluster.context})`,
        `  may act in     ${allowedNamespaces.join(', ')}`,
        `  evidence       ${destinations.locator.description}`,
        `  notifications  ${destinations.notifications}`,
        '',
      ].join('\n'),
    );
    const view = new LiveView({ out: progress, labels: [label], timeScale: 1 });
    view.start();
    const environment: LocalStepEnvironment = {
      kube: cluster.kube,
      aws: destinations.aws,
      config: { ...config, clusterName: cluster.name },
      now: () => new Date(),
      // Kept with the local store (not written with --bucket, which keeps this machine clean): the
      // lock of an earlier run that was killed is then taken over, not waited out.
      executions: new LocalExecutionRegistry(
        options.bucket ? undefined : join(options.dataDir, 'executions'),
      ),
      // Nothing but this process can answer a `run`: the answer is given now, either way.
      autoApprove: {
        afterMs: 0,
        by: options.approve
          ? `${userInfo().username} (eks-incident run --approve)`
          : 'eks-incident run (no --approve)',
        decision: options.approve ? 'approved' : 'rejected',
        now: () => new Date(),
      },
    };
    let summary;
    let run;
    try {
      ({ summary, run } = await watchedRun({
        synthesized,
        environment,
        timeScale: 1,
        view,
        locator: destinations.locator,
        label,
        input,
      }));
    } finally {
      view.stop();
    }
    const unheard = unheardIncident(run, input);
    if (unheard) streams.err.write(unheard);
    const notifications: DeliveredNotification[] = destinations.localTopic
      ? await localNotifications(destinations.localTopic)
      : [];
    if (options.json) {
      streams.out.write(`${terminalJson(JSON.stringify({ incident: summary, notifications }, null, 2))}\n`);
    } else {
      progress.write(`\n${summaryTable([summary], 1)}\n`);
      progress.write(
        evidenceSection(
          [summary],
          destinations.locator,
          `read:   npx eks-incident report${options.bucket ? ` --bucket s3://${options.bucket}` : ''}`,
        ),
      );
      if (notifications.length) {
        progress.write('\nNotifications (local SNS topic):\n');
        for (const n of notifications) progress.write(`  ${terminalLine(n.subject)}\n`);
      }
    }
    if (summary.outcome === 'escalated') {
      throw new CliError(`${label}: escalated, a human is needed (see the report)`, ESCALATED_EXIT_CODE);
    }
    if (summary.outcome === 'failed') {
      throw new CliError(
        `${label}: ${OUTCOME_TEXT.failed}${summary.error ? `: ${summary.error.Error}` : ''}`,
      );
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    await destinations.close();
  }
}

export function registerRunCommand(program: Command, streams: Streams): void {
  program
    .command('run')
    .description('Run the incident flow for one incident against a cluster of your kubeconfig')
    .requiredOption('--input <file>', 'the execution input as JSON (docs/workflow.md); - reads stdin')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config, as kubectl)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option(
      '--allowed-namespaces <a,b>',
      'namespaces the flow may restart or roll back in (required unless --dry-run)',
      parseNamespaces,
    )
    .option('--dry-run', 'diagnose, collect evidence and report; change nothing in the cluster', false)
    .option(
      '--bucket <s3://name>',
      'write evidence to this S3 bucket (your AWS credentials) instead of the local store',
      parseBucketOption,
    )
    .option(
      '--topic-arn <arn>',
      'publish notifications to this SNS topic instead of the local one',
      parseTopicArnOption,
    )
    .option('--rules <file>', RULES_OPTION_HELP)
    .option('--data-dir <dir>', 'where the local evidence store lives', DEFAULT_DATA_DIR)
    .option('--json', 'print a machine-readable summary on stdout (progress goes to stderr)', false)
    .option(
      '--approve',
      'approve in advance what the remediation policy holds for a human (by default a rollback); without it, it is refused and escalated',
      false,
    )
    .addHelpText(
      'after',
      `
The flow is the state machine CDK synthesizes, run locally with the same step code the Lambdas
run: notify, diagnose, collect events, guard (allow-list, lock Lease, cooldown), rollout restart,
wait, verify, rollout undo, escalate with a cluster dump, report. Waits are real
(options.waitSeconds in the input, 60 s by default).

Exit codes: 0 recovered (or dry run), 2 escalated, 1 error.

Examples:
  npx eks-incident run --input incident.json --dry-run
  npx eks-incident run --input incident.json --dry-run --rules my-rules.yaml
  npx eks-incident run --input incident.json --allowed-namespaces one-data-alldata
  npx eks-incident run --input .data/demo/alldata-api.input.json --kubeconfig /tmp/sandbox.kubeconfig \\
      --allowed-namespaces one-data-alldata
  npx eks-incident run --input incident.json --context prod --allowed-namespaces apps \\
      --bucket s3://my-evidence-bucket --topic-arn arn:aws:sns:eu-west-1:123456789012:incidents

incident.json (docs/workflow.md):
  {"source": "manual",
   "target": {"namespace": "one-data-alldata", "kind": "Deployment", "name": "alldata-api"},
   "alert": {"name": "ServiceDown", "severity": "critical", "startsAt": "2026-01-01T00:00:00Z"},
   "options": {"waitSeconds": 60, "verifyTimeoutSeconds": 300}}`,
    )
    .action((options: RunOptions) => runCommand(options, streams));
}
