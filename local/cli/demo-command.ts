import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { InvalidArgumentError, type Command } from 'commander';
import type { IntakeResult } from '../../lambdas/intake/intake';
import { ClientNodeOwnerLookup } from '../../lambdas/intake/cluster-owner-lookup';
import type { AlertmanagerPayload } from '../../lambdas/shared/alertmanager';
import type { ExecutionInput } from '../../lambdas/shared/contracts';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import { localKubeConfig } from '../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../lambdas/shared/kubernetes/kubernetes-port';
import { createLogger } from '../../lambdas/shared/observability/logger';
import { configSchema } from '../../lib/config';
import { cachedDefinitions } from '../../lib/definitions-cache';
import { prepareDefinition } from '../engine/execute-definition';
import { types } from '../kube-sandbox/runtime';
import { RUNBOOK_CASES, runbookCase, runbookScenario } from '../kube-sandbox/scenarios/runbook';
import { startSandbox } from '../kube-sandbox/sandbox';
import { LocalExecutionStarter } from '../webhook/local-execution-starter';
import { startWebhookServer } from '../webhook/serve';
import { CliError } from './cli-error';
import { ALERTMANAGER_BINARY, startDemoAlertmanager } from './demo-alertmanager';
import { serviceDownPayload } from './demo-alerts';
import { RULES_OPTION_HELP, rulesFileOption } from './rules-option';
import { localNotifications, watchedRun } from './incident-runner';
import { evidenceSection, summaryTable, type IncidentSummary, type Outcome } from './incident-summary';
import { LiveView } from './live-view';
import { DEFAULT_DATA_DIR, displayPath, LOCAL_BUCKET, LocalStore } from './local-store';
import { localLocator } from './locators';
import type { Streams } from './output';
import { serveUntilSignal } from './sandbox-command';
import { formatWall } from './text-format';
import { terminalJson, terminalLine } from '../../lambdas/shared/escape/terminal';

/** The demo scenario's three incidents and how the runbook flow should end each. */
export const DEMO_INCIDENTS: ReadonlyArray<{ namespace: string; service: string; expected: Outcome }> = [
  { namespace: 'one-data-alldata', service: 'alldata-api', expected: 'recovered-by-restart' },
  { namespace: 'one-data-system', service: 'agent-api', expected: 'recovered-by-rollback' },
  { namespace: 'one-data-bisheng', service: 'bisheng-api', expected: 'escalated' },
];

/** Fast enough that the demo ends in seconds, slow enough that the sandbox keeps up. */
const DEFAULT_TIME_SCALE = 100;
/** How long ServiceDown had been active when Alertmanager sent it: `for: 1m` plus group_wait. */
const ALERT_ACTIVE_FOR_MS = 95_000;

export interface DemoOptions {
  timeScale: number;
  json: boolean;
  dataDir: string;
  keepSandbox: boolean;
  /** `--scenario NAME`: one runbook row's scenario instead of the three demo incidents. */
  scenario?: string;
  /** `--rules FILE`: the user's diagnosis rules. */
  rules?: string;
  /** Wall seconds before the demo approves a remediation the policy holds for a human. */
  approveAfter: number;
}

/** Sandbox seconds a runbook scenario fails before its alert fires (ServiceDown's `for: 1m` and more). */
const SCENARIO_FAILING_SECONDS = 90;

/** The incidents of the run: the demo's three, or the one of a runbook scenario. */
function incidentsOf(
  scenario: string | undefined,
): Array<{ namespace: string; service: string; expected?: Outcome }> {
  if (scenario === undefined || scenario === 'demo') return [...DEMO_INCIDENTS];
  const row = runbookCase(scenario);
  if (!row) {
    const names = RUNBOOK_CASES.map((c) => c.name).join(', ');
    throw new CliError(`demo: no runbook scenario "${scenario}"; they are: demo, ${names}`);
  }
  return [{ namespace: row.target.namespace, service: row.target.name }];
}

/**
 * `eks-incident demo` (`npm start`): the sandbox with the demo scenario; for each failing
 * service, the webhook Alertmanager would send, POSTed to the webhook intake as `eks-incident
 * serve` serves it; and the executions the intake starts, run on the local engine with the
 * synthesized state machine, all at once, S3/SNS on the embedded emulator, evidence in `.data/`.
 * Fails (after the summary) when an incident did not end as the scenario expects.
 */
export async function runDemo(options: DemoOptions, streams: Streams): Promise<void> {
  const progress = options.json ? streams.err : streams.out;
  const wallStart = Date.now();
  const speed = options.timeScale === 1 ? 'real time' : `time ×${options.timeScale}`;
  const incidents = incidentsOf(options.scenario);
  const row = options.scenario === undefined ? undefined : runbookCase(options.scenario);
  progress.write(
    (row
      ? `eks-incident demo --scenario ${row.name}: ${row.runbook.file} § ${row.runbook.section}\n  ${row.runbook.row}\n  on the Kubernetes sandbox, ${speed}`
      : `eks-incident demo: three ONE-DATA-STUDIO incidents on the Kubernetes sandbox, ${speed}`) +
      (options.timeScale === 1 ? '\n' : ' (--time-scale 1 for real waits)\n'),
  );
  progress.write('Synthesizing the state machine with CDK (a few seconds)...\n');
  const namespaces = [...new Set(incidents.map((i) => i.namespace))];
  const synthesized = cachedDefinitions({
    clusterName: 'sandbox',
    allowedNamespaces: namespaces.join(','),
  });
  prepareDefinition(synthesized.incidentResponse);
  const config = {
    ...configSchema.parse({ clusterName: 'sandbox', allowedNamespaces: namespaces }),
    rulesFile: rulesFileOption(options.rules),
  };

  const store = new LocalStore(options.dataDir);
  const alertmanager = await startDemoAlertmanager();
  progress.write(
    alertmanager
      ? `Alertmanager (${ALERTMANAGER_BINARY}) at ${alertmanager.url}: each incident's alerts are silenced while it is remediated
`
      : `No Alertmanager (${ALERTMANAGER_BINARY} is not installed): no silences in this run
`,
  );
  const aws = await store.start();
  let sandbox;
  try {
    sandbox = await startSandbox({
      scenario: row ? runbookScenario(row) : 'demo',
      clock: { timeScale: options.timeScale },
    });
  } catch (error) {
    await aws.stop();
    await alertmanager?.stop();
    throw error;
  }
  let keep = false;
  try {
    await sandbox.settle();
    // A runbook scenario starts healthy-looking: let it fail for a while, as it would before paging.
    if (row)
      await new Promise((resolve) =>
        setTimeout(resolve, (SCENARIO_FAILING_SECONDS * 1000) / options.timeScale),
      );
    const clock = sandbox.clock;
    const now = () => new Date(clock.now());
    const kubeConfig = localKubeConfig({ yaml: sandbox.kubeconfig() });
    const kube = new ClientNodeKubernetes(kubeConfig, { requestTimeoutMs: config.kubeRequestTimeoutMs });
    // The default policy asks a human before a rollback: the demo plays that human, visibly late.
    const environment = {
      kube,
      aws,
      config,
      now,
      autoApprove: {
        afterMs: options.approveAfter * 1000,
        by: `eks-incident demo (auto-approved after ${options.approveAfter} s)`,
        now,
      },
      alertmanagerUrl: alertmanager?.url,
    };
    const locator = localLocator(store);
    const view = new LiveView({
      out: progress,
      labels: incidents.map((i) => i.service),
      timeScale: options.timeScale,
    });
    const summaries = new Map<string, IncidentSummary>();
    const { region, account } = synthesized.placeholders;
    const starter = new LocalExecutionStarter({
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:IncidentResponse`,
      now,
      run: async ({ name, input, startTime }) => {
        const label = input.target.kind === 'Namespace' ? input.target.namespace : input.target.name;
        const { run, summary } = await watchedRun({
          synthesized,
          environment,
          timeScale: options.timeScale,
          view,
          locator,
          label,
          input,
          executionName: name,
          startTime,
        });
        summaries.set(label, summary);
        return run;
      },
      onRunError: (name, error) =>
        streams.err.write(`eks-incident demo: execution ${name} failed to run: ${String(error)}\n`),
    });
    const token = randomBytes(24).toString('base64url');
    const webhook = await startWebhookServer({
      token,
      starter,
      evidence: new S3EvidenceStore(aws.s3, aws.bucket, { now }),
      resolve: {
        rules: [],
        owners: new ClientNodeOwnerLookup(kubeConfig, { requestTimeoutMs: config.kubeRequestTimeoutMs }),
        defaultNamespace: 'default',
      },
      now,
      log: createLogger({ level: 'warn', write: (line) => streams.err.write(`intake: ${line}\n`) }),
    });
    let payloads: AlertmanagerPayload[];
    try {
      payloads = incidents.map(({ namespace, service }) => {
        const pods = sandbox.store
          .list(types.pods, namespace)
          .filter((pod) => pod.metadata.labels?.app === service) as V1Pod[];
        return serviceDownPayload({
          namespace,
          service,
          pods,
          activeSince: clock.now() - ALERT_ACTIVE_FOR_MS,
        });
      });
      await alertmanager?.fire(
        payloads.flatMap((p) => p.alerts.map(({ labels, annotations }) => ({ labels, annotations }))),
      );
      progress.write(`Alertmanager → POST ${webhook.url} (the intake of \`eks-incident serve\`):\n`);
      for (const payload of payloads) {
        const answer = await deliver(webhook.url, token, payload);
        for (const execution of answer.executions) {
          progress.write(
            `  ${payload.commonLabels.alertname} (${payload.commonLabels.severity}, ${payload.alerts.length} firing) → ` +
              `${execution.target} (${execution.via}) → execution ${execution.name}\n`,
          );
        }
      }
      const saved = await saveInputs(store.dataDir, payloads, starter.list());
      progress.write(`  webhook payloads and execution inputs saved in ${saved}\n\n`);
      view.start();
      await starter.idle();
    } finally {
      view.stop();
      await webhook.close();
    }
    const ordered = incidents.flatMap(({ service }) => summaries.get(service) ?? []);
    const notifications = await localNotifications(aws);
    const wallSeconds = (Date.now() - wallStart) / 1000;

    if (options.json) {
      streams.out.write(
        `${terminalJson(
          JSON.stringify(
            {
              timeScale: options.timeScale,
              wallSeconds,
              store: { path: displayPath(store.s3Dir), bucket: LOCAL_BUCKET },
              incidents: ordered,
              notifications,
            },
            null,
            2,
          ),
        )}\n`,
      );
    } else {
      progress.write(`\n${summaryTable(ordered, options.timeScale)}\n`);
      progress.write(evidenceSection(ordered, locator, 'read:   npx eks-incident report'));
      progress.write(`\nNotifications (local SNS topic, as a subscriber received them):\n`);
      for (const n of notifications) progress.write(`  ${terminalLine(n.subject)}\n`);
      const approvals = ordered.flatMap((summary) => (summary.approval ? [summary] : []));
      if (approvals.length) {
        progress.write(`\nApprovals (the policy asks a human before a rollback; the demo answered):\n`);
        for (const a of approvals) progress.write(`  ${terminalLine(`${a.label}: ${a.approval}`)}\n`);
      }
      if (alertmanager) {
        const silences = (await alertmanager.silences()).filter((x) =>
          x.createdBy.startsWith('eks-incident-response'),
        );
        progress.write(`\nAlertmanager silences (${alertmanager.url}):\n`);
        for (const x of silences)
          progress.write(`  ${terminalLine(`${x.id} ${x.status.state}, created by ${x.createdBy}`)}\n`);
        if (!silences.length) progress.write('  none (no incident was remediated)\n');
      }
      progress.write(
        `\nDone in ${formatWall(wallSeconds)}. List all stored incidents: npx eks-incident evidence\n`,
      );
    }

    // A runbook scenario has no fixed outcome: it shows what the diagnosis concludes.
    const unexpected = incidents.flatMap(({ service, expected }) => {
      const outcome = summaries.get(service)?.outcome ?? 'not started';
      return expected === undefined || outcome === expected
        ? []
        : [`${service} ended "${outcome}" where the scenario expects "${expected}"`];
    });
    if (unexpected.length) throw new CliError(`demo: ${unexpected.join('; ')} (see the reports)`);

    if (options.keepSandbox) {
      keep = true;
      const kubeconfig = join(store.dataDir, 'kubeconfig');
      await sandbox.writeKubeconfig(kubeconfig);
      progress.write(
        `\nThe sandbox keeps running at ${sandbox.url} with what the flow did to it:\n` +
          `  export KUBECONFIG=${displayPath(kubeconfig)}\n  kubectl get pods -A\nPress Ctrl+C to stop.\n`,
      );
      await aws.stop();
      await serveUntilSignal(sandbox, progress);
    }
  } finally {
    await alertmanager?.stop();
    if (!keep) {
      await sandbox.stop();
      await aws.stop();
    }
  }
}

/** POSTs a webhook as Alertmanager does (bearer token, JSON) and reads the intake's answer. */
async function deliver(url: string, token: string, payload: AlertmanagerPayload): Promise<IntakeResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = await response.text();
  if (!response.ok) throw new CliError(`demo: the webhook intake answered ${response.status}: ${body}`);
  return JSON.parse(body) as IntakeResult;
}

/** Keeps what the demo fed the workflow, for `curl` at `eks-incident serve` or `eks-incident run --input`. */
async function saveInputs(
  dataDir: string,
  payloads: AlertmanagerPayload[],
  executions: Array<{ input: ExecutionInput }>,
): Promise<string> {
  const dir = join(dataDir, 'demo');
  await mkdir(dir, { recursive: true });
  for (const payload of payloads) {
    const name = `${payload.commonLabels.job}.alertmanager.json`;
    await writeFile(join(dir, name), `${JSON.stringify(payload, null, 2)}\n`);
  }
  for (const { input } of executions) {
    const label = input.target.kind === 'Namespace' ? input.target.namespace : input.target.name;
    await writeFile(join(dir, `${label}.input.json`), `${JSON.stringify(input, null, 2)}\n`);
  }
  return displayPath(dir);
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!(seconds >= 0) || seconds > 3600) throw new InvalidArgumentError('must be 0 to 3600 seconds');
  return seconds;
}

function parseTimeScale(value: string): number {
  const scale = Number(value);
  if (!(scale > 0) || !Number.isFinite(scale) || scale > 10_000) {
    throw new InvalidArgumentError('must be a number above 0 and at most 10000');
  }
  return scale;
}

export function registerDemoCommand(program: Command, streams: Streams): void {
  program
    .command('demo')
    .description(
      'Run three incidents end to end on the built-in Kubernetes sandbox: restart, rollback, escalation (npm start)',
    )
    .option(
      '--time-scale <n>',
      'workflow and cluster seconds per wall second (1 = real waits)',
      parseTimeScale,
      DEFAULT_TIME_SCALE,
    )
    .option('--json', 'print a machine-readable summary on stdout (progress goes to stderr)', false)
    .option('--data-dir <dir>', 'where the local evidence store lives', DEFAULT_DATA_DIR)
    .option('--keep-sandbox', 'keep the sandbox running afterwards, for kubectl, until Ctrl+C', false)
    .option(
      '--scenario <name>',
      'one runbook row instead of the three demo incidents (docs/diagnosis.md lists them)',
    )
    .option('--rules <file>', RULES_OPTION_HELP)
    .option(
      '--approve-after <seconds>',
      'wall seconds the demo waits before approving a remediation the policy holds for a human',
      parseSeconds,
      3,
    )
    .addHelpText(
      'after',
      `
What happens:
  The sandbox starts with the demo scenario (ONE-DATA-STUDIO on EKS, on a bad night). For each
  failing service, the Alertmanager webhook that the handbook's ServiceDown rule would send is
  POSTed to the webhook intake (as \`eks-incident serve\` serves it); the executions it starts run
  the synthesized IncidentResponse state machine, all three at once: alldata-api recovers by
  restart, agent-api by rollback, bisheng-api is escalated with a cluster dump. Evidence
  (bundles, reports, dumps) stays in <data-dir>/s3.

Examples:
  npm start
  npx eks-incident demo --time-scale 1        # the runbook's real waits (about 15 minutes)
  npx eks-incident demo --json > demo.json
  npx eks-incident demo --keep-sandbox        # then: export KUBECONFIG=.data/kubeconfig
  npx eks-incident demo --scenario alldata-mysql-access-denied   # one runbook row (docs/diagnosis.md)
  npx eks-incident demo --rules my-rules.yaml # the demo with your own diagnosis rules`,
    )
    .action((options: DemoOptions) => runDemo(options, streams));
}
