import { readFile } from 'node:fs/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvalidArgumentError, type Command } from 'commander';
import { S3BackupObjects } from '../../lambdas/backup-check-s3/backup-objects';
import { parseBackupConfig, type BackupConfig } from '../../lambdas/shared/backup-config';
import type { BackupReportResult } from '../../lambdas/shared/backup-contracts';
import { localKubeConfig } from '../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../lib/config';
import { cachedDefinitions } from '../../lib/definitions-cache';
import { DEMO_BACKUP_BUCKET, demoBackupObjects } from '../aws/demo-backups';
import { receiveNotifications, startLocalAws, type LocalAws } from '../aws/local-aws';
import type { LocalBackupEnvironment } from '../engine/backup-steps';
import type { EventLog } from '../engine/execute-definition';
import { runBackupVerification, type BackupVerificationRun } from '../engine/run-backup-verification';
import { startSandbox, type Sandbox } from '../kube-sandbox/sandbox';
import { CliError } from './cli-error';
import { connectCluster } from './cluster';
import { DEFAULT_DATA_DIR, LOCAL_BUCKET, LocalStore, displayPath } from './local-store';
import type { Output, Streams } from './output';

export interface VerifyBackupsOptions {
  /** The backup configuration (examples/backup-sources.json). */
  config: string;
  /** Verify the built-in sandbox's demo scenario and the demo's backups instead of a real cluster. */
  sandbox: boolean;
  kubeconfig?: string;
  context?: string;
  /** An S3-compatible endpoint holding the backups (MinIO...); AWS S3 when unset. */
  backupsEndpoint?: string;
  /** Also notify when everything passed. */
  successDigest: boolean;
  /** Sandbox seconds per wall second (with `sandbox`). */
  timeScale: number;
  dataDir: string;
  json: boolean;
}

/** Exit code of a verification that found failures: it worked, and a human is needed. */
export const BACKUPS_FAILED_EXIT_CODE = 2;

const REQUEST_TIMEOUT_MS = configSchema.shape.kubeRequestTimeoutMs.parse(undefined);

/** The backup configuration from a file, validated as the stack validates `backupSources`. */
export async function readBackupConfig(file: string): Promise<BackupConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `backup configuration ${file} not found (see examples/backup-sources.json)`
        : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseBackupConfig(raw, `backup configuration ${file}`);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** Where the checks look: the cluster, the backups' S3, and the clock both are judged by. */
interface Targets {
  environment: Pick<LocalBackupEnvironment, 'kube' | 'backups' | 'now'>;
  aws: LocalAws;
  cluster: string;
  backups: string;
  close(): Promise<void>;
}

async function openTargets(options: VerifyBackupsOptions, store: LocalStore): Promise<Targets> {
  if (options.sandbox) {
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: options.timeScale } });
      const now = sandbox.clock.now();
      const aws = await startLocalAws({
        s3StorageDir: store.s3Dir,
        bucket: LOCAL_BUCKET,
        s3Objects: demoBackupObjects(now),
      });
      const running = sandbox;
      return {
        environment: {
          kube: new ClientNodeKubernetes(localKubeConfig({ yaml: running.kubeconfig() }), {
            requestTimeoutMs: REQUEST_TIMEOUT_MS,
          }),
          backups: new S3BackupObjects(aws.s3),
          now: () => new Date(running.clock.now()),
        },
        aws,
        cluster: `the built-in sandbox, demo scenario (${running.url}, time x${options.timeScale})`,
        backups: `the demo's backups in s3://${DEMO_BACKUP_BUCKET} on the embedded S3`,
        async close() {
          await aws.stop();
          await running.stop();
        },
      };
    } catch (error) {
      await sandbox?.stop();
      throw error;
    }
  }
  const cluster = connectCluster({
    kubeconfig: options.kubeconfig,
    context: options.context,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  const s3 = options.backupsEndpoint
    ? new S3Client({ endpoint: options.backupsEndpoint, forcePathStyle: true })
    : new S3Client({ followRegionRedirects: true });
  const aws = await store.start();
  return {
    environment: { kube: cluster.kube, backups: new S3BackupObjects(s3), now: () => new Date() },
    aws,
    cluster: `${cluster.server} (context ${cluster.context})`,
    backups: options.backupsEndpoint ?? 'AWS S3, with your AWS credentials',
    async close() {
      s3.destroy();
      await aws.stop();
    },
  };
}

/** One line per state the execution enters, as the console's graph lights up. */
function progressLine(event: EventLog): string | undefined {
  if (event.type !== 'StateEntered') return undefined;
  return `  → ${event.state.name}\n`;
}

function describe(config: BackupConfig): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return [
    count(config.s3.length, 'S3 source'),
    count(config.cronJobs.length, 'CronJob'),
    count(config.restoreTests.length, 'restore test'),
  ].join(', ');
}

export interface VerifyBackupsResult {
  run: BackupVerificationRun;
  report?: BackupReportResult;
  /** The report as Markdown, when it was written. */
  markdown?: string;
  notifications: string[];
}

/**
 * `eks-incident verify-backups`: the synthesized BackupVerification state machine, run locally
 * with the deployed step code against a cluster of the user's kubeconfig (or the sandbox) and
 * the backups' S3; the report goes to the local store, notifications to the local topic.
 */
export async function verifyBackupsCommand(
  options: VerifyBackupsOptions,
  streams: Streams,
): Promise<VerifyBackupsResult> {
  const progress: Output = options.json ? streams.err : streams.out;
  const config = await readBackupConfig(options.config);
  progress.write('Synthesizing the state machines with CDK (a few seconds)...\n');
  const synthesized = cachedDefinitions({
    clusterName: 'local',
    allowedNamespaces: 'default',
    backupSources: config,
  });
  const store = new LocalStore(options.dataDir);
  const targets = await openTargets(options, store);
  try {
    progress.write(
      [
        `Backup verification: ${describe(config)} (${displayPath(options.config)})`,
        `  cluster        ${targets.cluster}`,
        `  backups        ${targets.backups}`,
        `  report         local store ${displayPath(store.s3Dir)}, bucket ${LOCAL_BUCKET}`,
        `  notifications  the local SNS topic (printed below)`,
        '',
      ].join('\n'),
    );
    const run = await runBackupVerification({
      synthesized,
      input: { source: 'manual' },
      environment: { ...targets.environment, aws: targets.aws, config, successDigest: options.successDigest },
      timeScale: options.sandbox ? options.timeScale : 1,
      onEvent: (event) => {
        const line = progressLine(event);
        if (line) progress.write(line);
      },
    });
    const exited = run.events.find((e) => e.type === 'StateExited' && e.state.name === 'Report') as
      { state: { output: { report?: BackupReportResult } } } | undefined;
    const report = exited?.state.output.report;
    const markdown = report
      ? await (
          await targets.aws.s3.send(
            new GetObjectCommand({ Bucket: targets.aws.bucket, Key: report.markdown }),
          )
        ).Body!.transformToString()
      : undefined;
    const notifications = (await receiveNotifications(targets.aws)).map((n) => n.Subject ?? '(no subject)');
    const result: VerifyBackupsResult = { run, report, markdown, notifications };
    if (options.json) {
      streams.out.write(
        `${JSON.stringify({ status: run.status, error: run.error, report, notifications }, null, 2)}\n`,
      );
    } else {
      if (markdown) progress.write(`\n${markdown}\n`);
      if (report) {
        progress.write(
          `Report: s3://${LOCAL_BUCKET}/${report.prefix}\n  files: ${store.pathOf(report.prefix)}\n`,
        );
      }
      if (notifications.length) {
        progress.write('\nNotifications (local SNS topic):\n');
        for (const subject of notifications) progress.write(`  ${subject}\n`);
      }
    }
    if (report?.outcome === 'failed') {
      throw new CliError(
        `backup verification failed: ${report.failures} finding(s), see the report`,
        BACKUPS_FAILED_EXIT_CODE,
      );
    }
    if (run.status === 'FAILED') {
      throw new CliError(
        `backup verification did not finish: ${run.error?.Error}: ${String(run.error?.Cause)}`,
      );
    }
    return result;
  } finally {
    await targets.close();
  }
}

function parseTimeScale(value: string): number {
  const scale = Number(value);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new InvalidArgumentError('must be a number > 0');
  return scale;
}

export function registerVerifyBackupsCommand(program: Command, streams: Streams): void {
  program
    .command('verify-backups')
    .description('Verify the backups now: S3 backups, the CronJobs that make them, restore tests')
    .requiredOption('--config <file>', 'the backup configuration (see examples/backup-sources.json)')
    .option('--sandbox', "verify the built-in sandbox's demo scenario and the demo's backups", false)
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config, as kubectl)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--backups-endpoint <url>', 'S3-compatible endpoint of the backups (default: AWS S3)')
    .option('--success-digest', 'notify when every check passed too', false)
    .option('--time-scale <n>', 'with --sandbox: sandbox seconds per wall second', parseTimeScale, 10)
    .option('--data-dir <dir>', 'where the local store (reports) lives', DEFAULT_DATA_DIR)
    .option('--json', 'print a machine-readable summary on stdout (progress goes to stderr)', false)
    .addHelpText(
      'after',
      `
The BackupVerification state machine that CDK synthesizes (the one EventBridge Scheduler starts
daily once deployed), run locally with the same step code the Lambdas run. Restore tests create
Jobs in their scratch namespace and delete them afterwards: the kubeconfig's user needs the RBAC
of \`eks-incident rbac --scratch-namespaces\`.

Exit codes: 0 every check passed, 2 a check failed (see the report), 1 error.

Examples:
  npx eks-incident verify-backups --config examples/backup-sources.json --sandbox
  npx eks-incident verify-backups --config backups.json --context prod
  npx eks-incident verify-backups --config backups.json --backups-endpoint http://minio.local:9000`,
    )
    .action(async (options: VerifyBackupsOptions) => {
      await verifyBackupsCommand(options, streams);
    });
}
