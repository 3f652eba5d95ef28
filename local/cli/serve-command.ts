import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ClientNodeOwnerLookup } from '../../lambdas/intake/cluster-owner-lookup';
import { CachingOwnerLookup } from '../../lambdas/intake/owner-lookup';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import { createLogger } from '../../lambdas/shared/observability/logger';
import { configSchema, type StackConfig } from '../../lib/config';
import { cachedDefinitions } from '../../lib/definitions-cache';
import type { LocalAws } from '../aws/local-aws';
import { LocalExecutionRegistry } from '../engine/execution-registry';
import { approvalStoreOf } from '../engine/local-steps';
import { prepareDefinition } from '../engine/execute-definition';
import { runIncident } from '../engine/run-incident';
import { unheardIncident } from '../engine/unheard';
import { IntakeActivity } from '../webhook/intake-activity';
import { LocalExecutionStarter } from '../webhook/local-execution-starter';
import { startWebhookServer, type WebhookServer } from '../webhook/serve';
import { RULES_OPTION_HELP, rulesFileOption } from './rules-option';
import { CliError, PortInUseError } from './cli-error';
import { connectCluster } from './cluster';
import { DEFAULT_DATA_DIR, LocalStore } from './local-store';
import type { Streams } from './output';

/** Where `eks-incident serve` listens unless told otherwise (Alertmanager itself is on 9093/9094). */
export const SERVE_PORT = 9095;

/** The environment variable the token is read from when `--token` is not given. */
export const TOKEN_VARIABLE = 'EKS_INCIDENT_WEBHOOK_TOKEN';

/** The environment variable the Slack app's signing secret is read from. */
export const SLACK_SIGNING_SECRET_VARIABLE = 'SLACK_SIGNING_SECRET';

/** Kubernetes lookups of the intake: short, as the Lambda's (lib/constructs/webhook.ts). */
const OWNER_LOOKUP_TIMEOUT_MS = 2000;

export interface ServeCommandOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The bearer token Alertmanager must send; `EKS_INCIDENT_WEBHOOK_TOKEN`, else a random one, when unset. */
  token?: string;
  /** A kubeconfig file; KUBECONFIG or ~/.kube/config when unset, as for kubectl. */
  kubeconfig?: string;
  context?: string;
  /**
   * Namespaces where executions may restart or roll back (the stack's allowedNamespaces).
   * Unset: every execution is a dry run.
   */
  allowedNamespaces?: string[];
  /** Start every execution as a dry run. */
  dryRun?: boolean;
  /** The alert target rules: JSON, or the path of a JSON file (the stack's `alertTargets`). */
  alertTargets?: string;
  /** Namespace of alerts without a namespace label (the stack's `webhookDefaultNamespace`). */
  defaultNamespace?: string;
  /** Where the local evidence store lives. @default '.data' */
  dataDir?: string;
  /** Workflow seconds per wall second (Wait states and retries). @default 1 */
  timeScale?: number;
  /** `--rules FILE`: the user's diagnosis rules. */
  rules?: string;
  /** Who decides each remediation: JSON or a JSON file (the stack's `remediationPolicy`). */
  remediationPolicy?: string;
  /** The Slack app's signing secret; `SLACK_SIGNING_SECRET` when unset; no Slack route without one. */
  slackSigningSecret?: string;
  /** The URL people reach this server at, for the approval links (default: the listening address). */
  publicUrl?: string;
  /** Alertmanager's URL: the incident's alerts are silenced while it is remediated. */
  alertmanagerUrl?: string;
}

export interface RunningServe {
  server: WebhookServer;
  starter: LocalExecutionStarter;
  token: string;
  config: StackConfig;
  aws: LocalAws;
  /** Stops taking deliveries, waits for the executions under way, closes the store. */
  stop(): Promise<void>;
}

/** The stack's configuration for the local flow: the same keys and defaults as `cdk deploy -c`. */
function stackConfig(options: ServeCommandOptions, clusterName: string): StackConfig {
  const result = configSchema.safeParse({
    clusterName,
    allowedNamespaces: options.allowedNamespaces?.length ? options.allowedNamespaces : ['default'],
    alertTargets: options.alertTargets,
    webhookDefaultNamespace: options.defaultNamespace,
    webhookDryRun: options.dryRun || !options.allowedNamespaces?.length,
    remediationPolicy: options.remediationPolicy,
  });
  if (result.success) return { ...result.data, rulesFile: rulesFileOption(options.rules) };
  const issue = result.error.issues[0];
  throw new CliError(`${issue.path.join('.')}: ${issue.message}`);
}

/**
 * `eks-incident serve`: the Alertmanager webhook on this machine. The intake is the Lambda's
 * (lambdas/intake), served over node:http; executions run on the local engine with the state
 * machine CDK synthesizes, against the cluster of the kubeconfig, with evidence in the local
 * store. Returns once it listens.
 */
export async function serveCommand(options: ServeCommandOptions, streams: Streams): Promise<RunningServe> {
  const token = options.token ?? process.env[TOKEN_VARIABLE] ?? randomBytes(24).toString('base64url');
  const cluster = connectCluster({
    kubeconfig: options.kubeconfig,
    context: options.context,
    requestTimeoutMs: 10_000,
  });
  const config = stackConfig(options, cluster.name);
  const synthesized = cachedDefinitions({
    clusterName: config.clusterName,
    allowedNamespaces: config.allowedNamespaces.join(','),
    remediationPolicy: JSON.stringify(config.remediationPolicy),
  });
  prepareDefinition(synthesized.incidentResponse);
  // Signs this server's approval links: they answer requests of the executions it runs.
  const linkSecret = randomBytes(32).toString('base64url');
  const slackSigningSecret = options.slackSigningSecret ?? process.env[SLACK_SIGNING_SECRET_VARIABLE];
  // Its base URL is known once the server listens, before any execution can ask.
  const approvalLinks = { baseUrl: '', secret: linkSecret };
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const aws = await new LocalStore(dataDir).start();
  const log = createLogger({ write: (line) => streams.err.write(`${line}\n`) });
  const now = () => new Date();
  const { region, account } = synthesized.placeholders;
  // On disk, so a restarted serve knows which executions it started and which died with it.
  const registry = new LocalExecutionRegistry(join(dataDir, 'executions'));
  // Deliveries are answered before the executions they start set up beside them.
  const activity = new IntakeActivity();
  const starter = new LocalExecutionStarter({
    stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:IncidentResponse`,
    registry,
    startWhen: () => activity.quiet(),
    run: async ({ name, input, startTime }) => {
      const run = await runIncident({
        synthesized,
        input,
        environment: {
          kube: cluster.kube,
          aws,
          config,
          now,
          executions: registry,
          approvalLinks,
          alertmanagerUrl: options.alertmanagerUrl,
        },
        timeScale: options.timeScale ?? 1,
        executionName: name,
        startTime,
      });
      const unheard = unheardIncident(run, input);
      if (unheard) streams.err.write(unheard);
      return run;
    },
    onRunError: (name, error) => {
      log.error('an execution could not run', { execution: name, error });
      streams.err.write(
        `\n!!! eks-incident: execution ${name} could not run and sent no notification: a human must look now !!!\n`,
      );
    },
  });
  let server: WebhookServer;
  try {
    server = await startWebhookServer({
      port: options.port,
      host: options.host,
      activity,
      token,
      starter,
      evidence: new S3EvidenceStore(aws.s3, aws.bucket, { now }),
      resolve: {
        rules: config.alertTargets,
        owners: new CachingOwnerLookup(
          new ClientNodeOwnerLookup(cluster.kubeConfig, { requestTimeoutMs: OWNER_LOOKUP_TIMEOUT_MS }),
          { ttlMs: 600_000, maxEntries: 10_000 },
        ),
        defaultNamespace: config.webhookDefaultNamespace,
      },
      options: { dryRun: config.webhookDryRun },
      now,
      log,
      approvals: {
        store: approvalStoreOf({ aws }),
        linkSecret,
        slackSigningSecret,
        now,
        // The engine waiting in this process reads the answer from the store.
        deliver: async () => undefined,
        log,
        operatorToken: token,
      },
    });
  } catch (error) {
    await aws.stop();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(options.port);
    throw error;
  }
  approvalLinks.baseUrl = options.publicUrl ?? server.url.replace(/\/alertmanager$/, '');
  streams.err.write(usage(server, token, options, config, cluster.context));
  return {
    server,
    starter,
    token,
    config,
    aws,
    async stop() {
      await server.close();
      await starter.idle();
      await aws.stop();
    },
  };
}

function usage(
  server: WebhookServer,
  token: string,
  options: ServeCommandOptions,
  config: StackConfig,
  context: string,
): string {
  const shownToken = options.token || process.env[TOKEN_VARIABLE] ? '<your token>' : token;
  return [
    `Alertmanager webhook listening on ${server.url}`,
    `  cluster: kubeconfig context "${context}"; evidence in ${options.dataDir ?? DEFAULT_DATA_DIR}`,
    config.webhookDryRun
      ? '  every execution is a dry run (no --allowed-namespaces, or --dry-run): nothing in the cluster changes'
      : `  executions may restart or roll back in: ${config.allowedNamespaces.join(', ')}`,
    ...(options.token || process.env[TOKEN_VARIABLE] ? [] : [`  token (generated): ${token}`]),
    `  approvals: answer with \`eks-incident approve INCIDENT-ID [--reject]\` (same token), the links in the notification` +
      (options.slackSigningSecret || process.env[SLACK_SIGNING_SECRET_VARIABLE]
        ? `, or Slack (interactivity URL ${server.url.replace(/\/alertmanager$/, '')}/slack/interactions)`
        : ''),
    '',
    'Alertmanager configuration (alertmanager.yml):',
    '  receivers:',
    '    - name: eks-incident-response',
    '      webhook_configs:',
    `        - url: ${server.url}`,
    '          send_resolved: true',
    '          http_config:',
    '            authorization:',
    '              type: Bearer',
    `              credentials: ${shownToken}`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/** Resolves on the first SIGINT or SIGTERM, after stopping the server and the executions under way. */
function serveUntilSignal(running: RunningServe, streams: Streams): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      streams.err.write(`\n${signal}: no new deliveries; waiting for the executions under way\n`);
      running.stop().then(resolve, reject);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be an integer from 0 to 65535 (0 picks a free port)');
  }
  return port;
}

function parseNamespaces(value: string): string[] {
  return value
    .split(',')
    .map((namespace) => namespace.trim())
    .filter(Boolean);
}

function parseTimeScale(value: string): number {
  const scale = Number(value);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new InvalidArgumentError('must be a number > 0');
  return scale;
}

/** `eks-incident serve`: register with `registerServeCommand(program, streams)` in local/cli/main.ts. */
export function registerServeCommand(program: Command, streams: Streams): void {
  program
    .command('serve')
    .description('Serve the Alertmanager webhook locally; alerts start incident flows on the local engine')
    .option('--port <port>', 'TCP port (0 picks a free one)', parsePort, SERVE_PORT)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--token <token>',
      `bearer token Alertmanager must send (default: $${TOKEN_VARIABLE}, else generated)`,
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config, as kubectl)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option(
      '--allowed-namespaces <a,b>',
      'namespaces the flows may restart or roll back in (without it every flow is a dry run)',
      parseNamespaces,
    )
    .option('--dry-run', 'every flow diagnoses, collects evidence and reports; nothing changes', false)
    .option(
      '--alert-targets <json|file>',
      'rules naming the workload of service-level alerts (as -c alertTargets)',
    )
    .option('--default-namespace <name>', 'namespace of alerts without a namespace label', 'kube-system')
    .option('--time-scale <n>', 'workflow seconds per wall-clock second (Wait states)', parseTimeScale, 1)
    .option('--rules <file>', RULES_OPTION_HELP)
    .option('--data-dir <dir>', 'where the local evidence store lives', DEFAULT_DATA_DIR)
    .option(
      '--remediation-policy <json|file>',
      'who decides each action: auto, approve or never (as -c remediationPolicy; default restart auto, rollback approve)',
    )
    .option(
      '--slack-signing-secret <secret>',
      `the Slack app's signing secret, for its Approve/Reject buttons (default: $${SLACK_SIGNING_SECRET_VARIABLE})`,
    )
    .option('--public-url <url>', 'the URL people reach this server at, for approval links')
    .option(
      '--alertmanager-url <url>',
      "Alertmanager's URL: silence the incident's alerts while it is remediated (as -c alertmanagerUrl)",
    )
    .addHelpText(
      'after',
      `
Examples:
  npx eks-incident serve --allowed-namespaces one-data-alldata,one-data-system
  npx eks-incident serve --dry-run --rules my-rules.yaml    # rehearse your own rules on real alerts`,
    )
    .action(async (options: ServeCommandOptions) => {
      const running = await serveCommand(options, streams);
      await serveUntilSignal(running, streams);
    });
}
