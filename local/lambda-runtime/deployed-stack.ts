import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { AlertmanagerPayload } from '../../lambdas/shared/alertmanager';
import { appWithContext, buildApp } from '../../lib/app';
import type { SynthesizedDefinitions } from '../../lib/synth';
import type { LocalAws } from '../aws/local-aws';
import {
  executeDefinition,
  type EventLog,
  type LocalExecution,
  type LocalFunction,
} from '../engine/execute-definition';
import type { Sandbox } from '../kube-sandbox/sandbox';
import { startAwsJsonStub } from './aws-json-stub';
import { invokeCold, type ColdResult, type ColdTimings } from './runtime-api';

/**
 * The deployed stack on this machine: the bundles `cdk synth` stages for every function, each
 * with the environment its template gives it, and the counterparts their AWS and EKS calls reach
 * (the sandbox behind TLS as the EKS endpoint, fauxqs for S3/SNS, a stub for the Step Functions and
 * Secrets Manager calls fauxqs does not speak). Used by the cold-stack bench and the bundle test.
 */

const run = promisify(execFile);

/** One Lambda function of the synthesized template, as staged in the cloud assembly. */
export interface DeployedFunction {
  /** The directory under lambdas/ of the function's handler (`lambdas/<name>/handler.ts`). */
  name: string;
  /**
   * What Lambda loads: `<outdir>/asset.<hash>/index.js`, the V8-cache loader of the bundle beside
   * it (`bundle.js`, its source map and its V8 cache; lib/bundling).
   */
  file: string;
  /** The bundle itself, `bundle.js` beside `file`; its source map is `${bundle}.map`. */
  bundle: string;
  /** MemorySize of the template: the runtime's V8 flags follow it (lib/bundling/lambda-v8-flags.ts). */
  memorySize: number;
  /** The function's environment as Lambda sets it, deploy-time references given stand-ins. */
  environment: Record<string, string>;
  /** It builds a Kubernetes client: its environment has the cluster's (lambdas/shared/env.ts kubeEnv). */
  talksToKubernetes: boolean;
  /** The source files the bundle was made from (its source map's `sources`). */
  sources: string[];
}

/** A value CloudFormation fills in at deploy time (a Ref, a GetAtt), with a stand-in of its shape. */
function standIn(name: string): string {
  if (name.endsWith('_ARN')) return `arn:aws:local:us-east-1:000000000000:${name.toLowerCase()}`;
  if (name.endsWith('_URL')) return `https://${name.toLowerCase().replaceAll('_', '-')}.local.invalid`;
  return `local-${name.toLowerCase().replaceAll('_', '-')}`;
}

/**
 * `cdk synth` of the real stack with `context`, bundling included, into `outdir`: the bundles are
 * exactly what would be deployed, made by NodejsFunction with the options of
 * lib/constructs/function-defaults.ts. Functions of CDK's own (custom resources) are left out.
 */
export async function deployedFunctions(
  outdir: string,
  context: Record<string, unknown>,
): Promise<DeployedFunction[]> {
  // CDK's built-in CloudFormation validation of the template leaves the bundles as they are and
  // costs seconds: the stack tests (test/support/stack.ts) run it.
  const app = appWithContext(context, { outdir, builtinCloudFormationValidation: false });
  const stack = buildApp(app);
  const template = app.synth().getStackArtifact(stack.artifactId).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const functions: DeployedFunction[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = (resource.Properties.Code as { S3Key?: string }).S3Key;
    if (!key) continue;
    const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const bundle = join(asset, 'bundle.js');
    if (!existsSync(`${bundle}.map`)) continue;
    const { sources } = JSON.parse(await readFile(`${bundle}.map`, 'utf8')) as { sources: string[] };
    const handler = sources.map((s) => /(?:^|\/)lambdas\/([a-z0-9-]+)\/handler\.ts$/.exec(s)).find(Boolean);
    if (!handler) continue;
    const variables =
      (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {};
    const environment = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : standIn(name),
      ]),
    );
    functions.push({
      name: handler[1],
      file: join(asset, 'index.js'),
      bundle,
      memorySize: Number(resource.Properties.MemorySize ?? 128),
      environment,
      talksToKubernetes: 'CLUSTER_NAME' in environment,
      sources,
    });
  }
  return functions.sort((a, b) => a.name.localeCompare(b.name));
}

/** What an EKS token starts with (lambdas/shared/kubernetes/eks-token.ts). */
const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';

export interface ClusterFront {
  server: HttpsServer;
  url: string;
  /** The front's certificate, base64 PEM, as EKS's `certificateAuthority.data`. */
  caData: string;
  close(): void;
}

/**
 * EKS serves its API over TLS and client-node refuses plain HTTP for a cluster that verifies
 * certificates (as the functions' EKS kubeconfig does): a TLS front for the sandbox, with a
 * certificate made for the run (openssl), whose CA the functions get as CLUSTER_CA_DATA. It also
 * stands in for EKS's authenticator, admitting requests that carry an EKS token and passing them
 * to the sandbox as its admin.
 */
export async function tlsFront(sandbox: Sandbox, scratch: string): Promise<ClusterFront> {
  const key = join(scratch, 'key.pem');
  const cert = join(scratch, 'cert.pem');
  // prettier-ignore
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=sandbox', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]);
  const certPem = await readFile(cert);
  const upstream = new URL(sandbox.url);
  const server = createHttpsServer({ key: await readFile(key), cert: certPem }, (req, res) => {
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
  return {
    server,
    url: `https://127.0.0.1:${port}`,
    caData: certPem.toString('base64'),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

export interface ServiceStubOptions {
  /** The SecretString every GetSecretValue answers (the webhook token). */
  secret: string;
  /** StartExecution: hands the execution to the local engine and returns its ARN. */
  onStart: (name: string, input: unknown) => string;
}

/**
 * Secrets Manager and Step Functions as the functions call them, which fauxqs does not emulate:
 * GetSecretValue answers `secret`, StartExecution hands the execution to `onStart` (the local
 * engine), DescribeExecution knows no earlier execution; any other operation fails loudly.
 */
export async function awsServiceStubs(options: ServiceStubOptions): Promise<{ server: Server; url: string }> {
  const { server, url } = await startAwsJsonStub({
    GetSecretValue: (params) => [
      200,
      { ARN: params.SecretId, Name: 'secret', SecretString: options.secret, VersionId: 'v1' },
    ],
    StartExecution: (params) => [
      200,
      { executionArn: options.onStart(params.name, JSON.parse(params.input)), startDate: Date.now() / 1000 },
    ],
    DescribeExecution: () => [400, { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' }],
  });
  return { server, url };
}

/**
 * The environment Lambda would give `fn`, its endpoints pointed at this machine: the bucket and
 * topic fauxqs serves, the sandbox's TLS front as the cluster endpoint, the stub for Step
 * Functions and Secrets Manager.
 */
export function functionEnvironment(
  fn: DeployedFunction,
  aws: LocalAws,
  cluster: Pick<ClusterFront, 'url' | 'caData'>,
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
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_ENDPOINT_URL_SFN: services,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services,
  };
}

/** A cold invocation of `fn`'s bundle (a fresh process through the Lambda Runtime API). */
export function invokeDeployed(
  fn: DeployedFunction,
  environment: Record<string, string>,
  event: unknown,
): Promise<ColdResult> {
  return invokeCold({
    taskRoot: dirname(fn.file),
    handler: 'index.handler',
    environment,
    event,
    functionName: fn.name,
    memorySize: fn.memorySize,
  });
}

/**
 * The functions a local engine's Lambda Tasks call, by the placeholder ARNs of the synthesized
 * definition: each invocation a cold start of the deployed bundle. `onAnswer` sees every answer
 * (timings included); a handler's error is thrown as Lambda reports it (errorType as the name),
 * so the definition's Retry and Catch see what they would see on AWS.
 */
export function deployedTaskFunctions(
  arnsByStep: Record<string, string>,
  functions: ReadonlyMap<string, DeployedFunction>,
  environmentOf: (fn: DeployedFunction) => Record<string, string>,
  onAnswer: (step: string, answer: ColdResult) => void = () => undefined,
): Map<string, LocalFunction> {
  const byArn = new Map<string, LocalFunction>();
  for (const [step, arn] of Object.entries(arnsByStep)) {
    const fn = functions.get(step);
    if (!fn) throw new Error(`no deployed bundle for the step ${step}`);
    byArn.set(arn, async (event: never) => {
      const answer = await invokeDeployed(fn, environmentOf(fn), event);
      onAnswer(step, answer);
      if (!answer.ok)
        throw Object.assign(new Error(answer.error.errorMessage), { name: answer.error.errorType });
      return answer.result;
    });
  }
  return byArn;
}

/**
 * One Alertmanager delivery of a firing alert with `labels`, as API Gateway (HTTP API, payload
 * 2.0) hands it to the intake, authorized with the webhook `token`.
 */
export function alertmanagerDelivery(
  labels: Record<string, string> & { alertname: string; namespace: string },
  token: string,
  summary = `${labels.alertname} in ${labels.namespace}`,
): unknown {
  const payload: AlertmanagerPayload = {
    version: '4',
    groupKey: `{}:{alertname="${labels.alertname}", namespace="${labels.namespace}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'eks-incident-response',
    groupLabels: { alertname: labels.alertname, namespace: labels.namespace },
    commonLabels: labels,
    commonAnnotations: { summary },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary },
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
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    isBase64Encoded: false,
  };
}

export interface DeliveryOptions {
  synthesized: SynthesizedDefinitions;
  functions: ReadonlyMap<string, DeployedFunction>;
  aws: LocalAws;
  cluster: Pick<ClusterFront, 'url' | 'caData'>;
  /** The webhook token the Secrets Manager stub answers; the delivery must carry it. */
  token: string;
  /** What API Gateway hands the intake (alertmanagerDelivery). */
  delivery: unknown;
  /** Workflow seconds per wall second for the execution's Wait states. */
  timeScale: number;
  /** Every cold answer, the intake's included, by handler folder. */
  onAnswer?: (step: string, answer: ColdResult) => void;
  onEvent?: (event: EventLog) => void;
}

export interface DeliveryRun {
  /** Date.now() as the delivery was handed to the intake's process. */
  deliveredAt: number;
  intake: ColdResult;
  /** The execution the intake started, run to its end; undefined when it started none. */
  execution?: LocalExecution;
}

/**
 * A delivery through the deployed stack: the intake bundle gets it cold, its StartExecution (the
 * stub) starts the synthesized IncidentResponse on the local engine, whose Lambda Tasks invoke
 * the step bundles cold; resolves when that execution has ended.
 */
export async function deliverToDeployedStack(options: DeliveryOptions): Promise<DeliveryRun> {
  const { synthesized, functions, aws, cluster, onAnswer = () => undefined } = options;
  const intake = functions.get('intake');
  if (!intake) throw new Error('no deployed bundle for the intake');
  let execution: Promise<LocalExecution> | undefined;
  const environmentOf = (fn: DeployedFunction) => functionEnvironment(fn, aws, cluster, services.url);
  const services = await awsServiceStubs({
    secret: options.token,
    onStart: (name, input) => {
      const { region, account } = synthesized.placeholders;
      execution = executeDefinition({
        definition: synthesized.incidentResponse,
        stateMachineName: 'IncidentResponse',
        region,
        account,
        functions: deployedTaskFunctions(
          synthesized.placeholders.functions,
          functions,
          environmentOf,
          onAnswer,
        ),
        sns: { client: aws.sns, topicArn: aws.topicArn },
        input,
        waitSeconds: 60,
        timeScale: options.timeScale,
        executionName: name,
        onEvent: options.onEvent,
      });
      return `arn:aws:states:${region}:${account}:execution:IncidentResponse:${name}`;
    },
  });
  try {
    const deliveredAt = Date.now();
    const answer = await invokeDeployed(intake, environmentOf(intake), options.delivery);
    onAnswer('intake', answer);
    return { deliveredAt, intake: answer, execution: await execution };
  } finally {
    services.server.close();
  }
}

export type { ColdResult, ColdTimings };
