import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AlertmanagerPayload } from '../lambdas/shared/alertmanager';
import { synthesizeDefinitions, type SynthesizedDefinitions } from '../lib/synth';
import { startLocalAws, type LocalAws } from '../local/aws/local-aws';
import { executeDefinition, type EventLog, type LocalFunction } from '../local/engine/execute-definition';
import { startSandbox, type Sandbox } from '../local/kube-sandbox/sandbox';
import { invokeCold, type ColdResult } from '../local/lambda-runtime/runtime-api';
import { synthesizedFunctions, type BundledFunction } from './lambda-bundles';
import type { Section, Table } from './results-file';
import { medianAndRange, progress, summarize } from './stats';

const run = promisify(execFile);
const PROJECT_ROOT = resolve(__dirname, '..');
/** Measured runs, each on a fresh sandbox, every function started cold in each. */
const RUNS = 5;
const TIME_SCALE = 200;
const GOAL_MS = 1500;
const TOKEN = 'cold-stack-bench-token';
const TARGET = { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' } as const;
const NAMESPACES = ['one-data-alldata', 'one-data-system', 'one-data-bisheng'];
/** The hops from the delivery to the restart request, in order: the label, and the function's first invocation. */
const CRITICAL_PATH: Array<[string, string]> = [
  ['Intake', 'intake'],
  ['Open Incident', 'notify'],
  ['Quick Diagnostics', 'diagnose'],
  ['Collect Events', 'collect-events'],
  ['Guard', 'guard'],
  ['Health Before Restart', 'verify'],
  ['Restart', 'restart'],
];

/** What an EKS token starts with (lambdas/shared/kubernetes/eks-token.ts). */
const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';

/**
 * EKS serves its API over TLS and client-node refuses plain HTTP for a cluster that verifies
 * certificates (as the functions' EKS kubeconfig does): a TLS front for the sandbox, with a
 * certificate made for the run, whose CA the functions get as CLUSTER_CA_DATA. It also stands
 * in for EKS's authenticator, admitting requests that carry an EKS token.
 */
async function tlsFront(
  sandbox: Sandbox,
  scratch: string,
): Promise<{ server: HttpsServer; url: string; caData: string }> {
  const key = join(scratch, 'key.pem');
  const cert = join(scratch, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=sandbox',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  const certPem = await readFile(cert);
  const upstream = new URL(sandbox.url);
  const server = createHttpsServer({ key: await readFile(key), cert: certPem }, (req, res) => {
    // EKS authenticates the IAM token and the API server sees an authenticated user: the
    // sandbox (no token configured) serves requests that carry none as its admin.
    if (!String(req.headers.authorization ?? '').startsWith(`Bearer ${EKS_TOKEN_PREFIX}`)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"kind":"Status","code":401}');
      return;
    }
    delete req.headers.authorization;
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}`, caData: certPem.toString('base64') };
}

/**
 * Secrets Manager and Step Functions as the intake calls them (AWS JSON 1.1 over HTTP), which
 * fauxqs does not emulate: GetSecretValue answers the webhook token, StartExecution hands the
 * execution to `onStart` (the local engine), DescribeExecution knows no earlier execution.
 */
async function intakeServices(
  onStart: (name: string, input: unknown) => string,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const params = JSON.parse(body || '{}') as Record<string, string>;
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target === 'secretsmanager.GetSecretValue')
        reply(200, { ARN: params.SecretId, Name: 'webhook-token', SecretString: TOKEN, VersionId: 'v1' });
      else if (target === 'AWSStepFunctions.StartExecution')
        reply(200, {
          executionArn: onStart(params.name, JSON.parse(params.input)),
          startDate: Date.now() / 1000,
        });
      else if (target === 'AWSStepFunctions.DescribeExecution')
        reply(400, { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' });
      else reply(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One Alertmanager delivery about the target, as API Gateway hands it to the intake. */
function delivery(): unknown {
  const labels = {
    alertname: 'KubeDeploymentReplicasMismatch',
    namespace: TARGET.namespace,
    deployment: TARGET.name,
    severity: 'critical',
  };
  const payload: AlertmanagerPayload = {
    version: '4',
    groupKey: `{}:{alertname="KubeDeploymentReplicasMismatch", namespace="${TARGET.namespace}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'eks-incident-response',
    groupLabels: { alertname: labels.alertname, namespace: TARGET.namespace },
    commonLabels: labels,
    commonAnnotations: { summary: 'alldata-api has not matched its expected number of replicas.' },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: 'alldata-api has not matched its expected number of replicas.' },
        startsAt: new Date(Date.now() - 300_000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: randomBytes(8).toString('hex'),
      },
    ],
  };
  return {
    version: '2.0',
    routeKey: 'POST /alertmanager',
    rawPath: '/alertmanager',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    isBase64Encoded: false,
  };
}

interface ColdRun {
  /** The delivery handed to the intake's fresh process → the restart's PATCH at the API server. */
  alertToRestartMs: number;
  /** Each function's first invocation: its process's spawn → its answer. */
  hops: Map<string, { initMs: number; totalMs: number }>;
}

/** The environment Lambda would give `fn`, pointed at this run's sandbox (TLS), fauxqs and stubs. */
function environmentOf(
  fn: BundledFunction,
  aws: LocalAws,
  cluster: { url: string; caData: string },
  services: string,
): Record<string, string> {
  return {
    ...fn.environment,
    ...('EVIDENCE_BUCKET' in fn.environment ? { EVIDENCE_BUCKET: aws.bucket } : {}),
    ...('TOPIC_ARN' in fn.environment ? { TOPIC_ARN: aws.topicArn } : {}),
    ...('CLUSTER_NAME' in fn.environment
      ? { CLUSTER_ENDPOINT: cluster.url, CLUSTER_CA_DATA: cluster.caData }
      : {}),
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_ENDPOINT_URL_SFN: services,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services,
  };
}

async function runOnce(
  synthesized: SynthesizedDefinitions,
  functions: Map<string, BundledFunction>,
  aws: LocalAws,
  scratch: string,
): Promise<ColdRun> {
  const sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  const front = await tlsFront(sandbox, scratch);
  const hops = new Map<string, { initMs: number; totalMs: number }>();
  let execution: Promise<unknown> | undefined;
  const events: EventLog[] = [];
  const services = await intakeServices((name, input) => {
    const { region, account } = synthesized.placeholders;
    const byArn = new Map<string, LocalFunction>();
    for (const [step, arn] of Object.entries(synthesized.placeholders.functions)) {
      const fn = functions.get(step)!;
      byArn.set(arn, async (event: never) => {
        const answer: ColdResult = await invokeCold({
          taskRoot: dirname(fn.ours.file),
          handler: 'index.handler',
          environment: environmentOf(fn, aws, front, services.url),
          event,
          functionName: step,
        });
        if (!hops.has(step)) hops.set(step, answer.timings);
        if (!answer.ok)
          throw Object.assign(new Error(answer.error.errorMessage), { name: answer.error.errorType });
        return answer.result;
      });
    }
    execution = executeDefinition({
      definition: synthesized.incidentResponse,
      stateMachineName: 'IncidentResponse',
      region,
      account,
      functions: byArn,
      sns: { client: aws.sns, topicArn: aws.topicArn },
      input,
      waitSeconds: 60,
      timeScale: TIME_SCALE,
      executionName: name,
      onEvent: (event) => events.push(event),
    });
    return `arn:aws:states:${region}:${account}:execution:IncidentResponse:${name}`;
  });
  try {
    await sandbox.settle();
    sandbox.requests.clear();
    const intake = functions.get('intake')!;
    const deliveredAt = Date.now();
    const answer = await invokeCold({
      taskRoot: dirname(intake.ours.file),
      handler: 'index.handler',
      environment: environmentOf(intake, aws, front, services.url),
      event: delivery(),
      functionName: 'intake',
    });
    if (!answer.ok || (answer.result as { statusCode?: number }).statusCode !== 200)
      throw new Error(`the intake did not start the execution: ${JSON.stringify(answer)}`);
    hops.set('intake', answer.timings);
    if (!execution) throw new Error('the intake answered without starting an execution');
    const done = (await execution) as { status: string; error?: unknown };
    if (done.status !== 'SUCCEEDED') {
      const failures = events.filter((e) => e.type.endsWith('Failed') || e.type.endsWith('Caught'));
      throw new Error(`the execution ended ${done.status}: ${JSON.stringify(failures).slice(0, 3000)}`);
    }
    const patch = sandbox.requests
      .all()
      .find(
        (r) => r.verb === 'patch' && r.resource === 'deployments' && r.name === TARGET.name && !r.subresource,
      );
    if (!patch) throw new Error('no restart PATCH reached the sandbox');
    return { alertToRestartMs: patch.at - deliveredAt, hops };
  } finally {
    front.server.closeAllConnections();
    front.server.close();
    services.server.close();
    await sandbox.stop();
  }
}

/**
 * The seed P0 script's sequence up to the restart (runbooks/otlp-app-troubleshooting.md, with
 * the quick diagnostics the issue names: describe and the previous container's logs), with the
 * installed kubectl against the same sandbox: the anchor beside "alert → restart".
 */
async function kubectlSequence(scratch: string): Promise<number> {
  const sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  try {
    await sandbox.settle();
    const kubeconfig = join(scratch, 'kubeconfig');
    await writeFile(kubeconfig, sandbox.kubeconfig(), { mode: 0o600 });
    const kubectl = (...args: string[]) =>
      run('kubectl', ['--kubeconfig', kubeconfig, '-n', TARGET.namespace, ...args]);
    const started = performance.now();
    const { stdout } = await kubectl('get', 'pods', '-l', 'app=alldata-api', '-o', 'name');
    const pod = stdout.trim().split('\n')[0];
    await kubectl('describe', pod);
    await kubectl('logs', pod, '--previous').catch(() => undefined);
    await kubectl('get', 'events', '--sort-by=.lastTimestamp');
    await kubectl('rollout', 'restart', `deployment/${TARGET.name}`);
    return performance.now() - started;
  } finally {
    await sandbox.stop();
  }
}

/**
 * Alert → restart request on a cold stack: the deployed bundles (cdk synth with bundling), each
 * function started in a fresh Node process for every invocation through a Lambda Runtime API
 * (local/lambda-runtime), the synthesized state machine on the local engine between them, the
 * sandbox behind TLS and fauxqs. Beside it, the P0 script's kubectl sequence.
 */
export async function benchColdStack(): Promise<Section> {
  const loadAtStart = os.loadavg()[0];
  const outdir = join(PROJECT_ROOT, 'cdk.out', `bench-cold-${process.pid}`);
  const scratch = await mkdtemp(join(os.tmpdir(), 'bench-cold-'));
  const context = { clusterName: 'sandbox', allowedNamespaces: NAMESPACES.join(',') };
  const runs: ColdRun[] = [];
  const anchor: number[] = [];
  try {
    progress('cold-stack', 'cdk synth with bundling, and the definition');
    const functions = new Map((await synthesizedFunctions(outdir, context)).map((fn) => [fn.name, fn]));
    const synthesized = synthesizeDefinitions(context);
    const aws = await startLocalAws();
    try {
      for (let i = 1; i <= RUNS; i++) {
        const coldRun = await runOnce(synthesized, functions, aws, scratch);
        runs.push(coldRun);
        anchor.push(await kubectlSequence(scratch));
        progress(
          'cold-stack',
          `run ${i}/${RUNS}: alert→restart ${coldRun.alertToRestartMs.toFixed(0)} ms cold; kubectl ${anchor.at(-1)!.toFixed(0)} ms`,
        );
      }
    } finally {
      await aws.stop();
    }
  } finally {
    await rm(outdir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  }
  const hop = (r: ColdRun, step: string) => {
    const timings = r.hops.get(step);
    if (!timings) throw new Error(`${step} was not invoked on the way to the restart`);
    return timings;
  };
  const hopsSum = runs.map((r) => CRITICAL_PATH.reduce((sum, [, step]) => sum + hop(r, step).totalMs, 0));
  const initSum = runs.map((r) => CRITICAL_PATH.reduce((sum, [, step]) => sum + hop(r, step).initMs, 0));
  const endToEnd = summarize(runs.map((r) => r.alertToRestartMs));
  const hopTable: Table = {
    columns: ['hop (fresh process each)', 'spawn → bundle loaded ms', 'spawn → answer ms'],
    rows: CRITICAL_PATH.map(([label, step]) => [
      `${label} (${step})`,
      medianAndRange(summarize(runs.map((r) => hop(r, step).initMs)), 0),
      medianAndRange(summarize(runs.map((r) => hop(r, step).totalMs)), 0),
    ]),
  };
  return {
    title: 'Cold stack: alert → restart',
    setup:
      `\`npm run bench -- cold-stack\`: the bundles \`cdk synth\` deploys, each invocation in a fresh Node ` +
      `${process.version} process running local/lambda-runtime/bootstrap.mjs against a Lambda Runtime API ` +
      "(local/lambda-runtime/runtime-api.ts) with the function's environment: every hop a cold start. The " +
      'intake gets an Alertmanager delivery as API Gateway passes it; its StartExecution (a stub speaking ' +
      'the Step Functions protocol, as does its Secrets Manager call) starts the synthesized state machine on ' +
      'the local engine, whose Lambda Tasks invoke the bundles the same way. Kubernetes is the sandbox (demo ' +
      'scenario) behind a TLS front, as the EKS endpoint is; S3/SNS are fauxqs. ' +
      `${RUNS} runs, each on a fresh sandbox; median (min–max). 1-minute load average ` +
      `${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end.`,
    figures: [
      {
        name: 'alert → restart request, cold stack',
        value: endToEnd.median,
        unit: 'ms',
        spread: { min: endToEnd.min, max: endToEnd.max, runs: endToEnd.runs },
        note:
          `the delivery handed to the intake's process → the PATCH at the API server; goal ≤ ${GOAL_MS} ms: ` +
          `${endToEnd.median <= GOAL_MS ? 'met' : 'missed'}`,
      },
      {
        name: 'the same, summed along the critical path',
        value: summarize(hopsSum).median,
        unit: 'ms',
        note: `${CRITICAL_PATH.length} hops, spawn → answer each; of which spawn → bundle loaded ${summarize(initSum).median.toFixed(0)} ms`,
      },
      {
        name: "anchor: the P0 script's kubectl sequence up to the restart",
        value: summarize(anchor).median,
        unit: 'ms',
        spread: { min: Math.min(...anchor), max: Math.max(...anchor), runs: anchor.length },
        note: 'kubectl get pods -l, describe pod, logs --previous, get events --sort-by=.lastTimestamp, rollout restart; one process each',
      },
    ],
    tables: [hopTable],
    notes: [
      'A cold start on AWS also places the execution environment and fetches the package before the process ' +
        'starts (not measured here, the same for every design), and runs on the ARM64 CPU share of 512 MB of ' +
        'memory, not a whole core of this machine. The local engine adds its own few milliseconds between hops, ' +
        'inside the end-to-end figure; the sum of hops leaves it out.',
      'The runtime client is not `aws-lambda-ric` (npm, 4.0.2): its install compiles curl and aws-lambda-cpp ' +
        'from source, which on this machine had not finished after 15 minutes, too much for every `npm ci`. ' +
        'bootstrap.mjs does what its JavaScript does around the handler (load the module from the task root, ' +
        'loop on the Runtime API, post the answer or the error), over node:http instead of its native client.',
      'Quick Diagnostics and Collect Events in a Parallel state would take one hop off this path. Not done: ' +
        'Collect Events writes the manifest from a listing of the incident prefix, so beside Quick Diagnostics it ' +
        "could list before diagnostics.json exists, and a Parallel state's output is an array that JSONPath " +
        '(without Assign, which the local engine lacks) cannot merge back into the state document the later ' +
        'states read, without moving `$.diagnostics` and `$.events` for every state after them.',
    ],
  };
}
