import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepEvent } from '../../lambdas/shared/contracts';
import { ApprovalStore } from '../../lambdas/shared/approval/approval-store';
import { ConfigurationError } from '../../lambdas/shared/errors';
import type { FunctionEnvironment, HandlerSeams } from '../../lambdas/shared/handler-environment';
import type { KubernetesPort } from '../../lambdas/shared/kubernetes/kubernetes-port';
import type { KubernetesStep } from '../../lambdas/shared/kubernetes/step-access';
import { DEFAULT_LOG_LEVEL } from '../../lambdas/shared/observability/log-levels';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from '../../lambdas/shared/observability/metric-names';
import type { StackConfig } from '../../lib/config';
import { INCIDENT_STEPS, stepDefinition, type IncidentStep } from '../../lib/incident-steps';
import type { LocalAws } from '../aws/local-aws';
import type { AutoApprove } from './approval-waiter';
import type { LocalExecutionRegistry } from './execution-registry';

/** What the steps run against locally: the same logic the Lambdas run, other adapters. */
export interface LocalStepEnvironment {
  kube: KubernetesPort;
  /**
   * A step's own Kubernetes port, where it is not `kube`: deployed, each function has its own
   * Kubernetes group (step-access.ts), and a rehearsal under RBAC gives each step the identity
   * (a token of its group) it would have.
   */
  stepKube?: Partial<Record<KubernetesStep, KubernetesPort>>;
  /** S3 and SNS: the embedded emulator's, or real ones (`eks-incident run --bucket/--topic-arn`). */
  aws: Pick<LocalAws, 's3' | 'sns' | 'region' | 'bucket' | 'topicArn'>;
  /** The deployed stack's settings (allowed namespaces, cooldown, caps), with the same defaults. */
  config: StackConfig;
  /** The clock the cluster runs on (the sandbox's, when time is scaled). */
  now: () => Date;
  /**
   * The local record of executions: runIncident records its execution there, and Guard asks it
   * whether a lock's holder still runs. Without one, a held lock waits for its Lease to lapse.
   */
  executions?: LocalExecutionRegistry;
  /**
   * Where signed approval links point (`serve`'s URL) and the secret that signs them. Unset: the
   * approval request offers the CLI (and Slack's buttons) only.
   */
  approvalLinks?: { baseUrl: string; secret: string };
  /** Approve every request after a pause (the demo's stand-in for a human). Unset: a human answers. */
  autoApprove?: AutoApprove;
  /** Alertmanager's URL, to silence an incident's alerts while it is remediated. Unset: no silences. */
  alertmanagerUrl?: string;
  /**
   * Where the functions' JSON log lines and EMF metric documents go (one line each); on Lambda,
   * CloudWatch Logs. @default - discarded, so the CLI's own output stays its own
   */
  functionOutput?: (line: string) => void;
}

/** The approval store the steps, the routes and the CLI share: the environment's S3 bucket. */
export function approvalStoreOf(env: Pick<LocalStepEnvironment, 'aws'>): ApprovalStore {
  let store = stores.get(env.aws.s3);
  if (!store) {
    store = new ApprovalStore(env.aws.s3, env.aws.bucket);
    stores.set(env.aws.s3, store);
  }
  return store;
}

/** One store per S3 client, so answers in this process are serialized by one store. */
const stores = new WeakMap<object, ApprovalStore>();

export type StepHandler = (event: StepEvent) => Promise<unknown>;

/** What every handler module under lambdas/<folder>/handler.ts exports besides `handler`. */
interface HandlerModule {
  createHandler(
    environment: FunctionEnvironment,
    seams?: HandlerSeams,
  ): (event: StepEvent) => Promise<unknown>;
}

/** The stand-in ARN the approval links' secret has in a local function's environment. */
const LOCAL_LINK_SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:approval-link';

/**
 * One handler per Lambda step: the very handler module Lambda runs (`createHandler` of
 * lambdas/<folder>/handler.ts: environment parsing, wiring, observedHandler), built from the
 * environment the stack gives the function (lib/incident-steps.ts) with its endpoints pointed
 * at this machine, and the seams a local run cannot express as variables (handler-environment.ts).
 * Each call makes fresh handlers, like new Lambda containers: nothing one environment's handlers
 * cache (clients, a kubeconfig) reaches another's.
 */
export function localStepHandlers(env: LocalStepEnvironment): Record<IncidentStep, StepHandler> {
  let environments: Promise<Record<IncidentStep, FunctionEnvironment>> | undefined;
  return Object.fromEntries(
    INCIDENT_STEPS.map((step) => {
      let handler: Promise<StepHandler> | undefined;
      const run: StepHandler = async (event) => {
        handler ??= (async () => {
          environments ??= localFunctionEnvironments(env);
          return loadHandlerModule(step).createHandler((await environments)[step], localSeams(step, env));
        })();
        return (await handler)(event);
      };
      return [step, run];
    }),
  ) as Record<IncidentStep, StepHandler>;
}

/** The module Lambda runs for `step`: the registry's folder, `lambdas/<folder>/handler.ts`. */
export function loadHandlerModule(step: string): HandlerModule {
  // Loaded by path from the registry's folder, so the engine keeps no list of its own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(__dirname, '..', '..', 'lambdas', step, 'handler')) as HandlerModule;
}

/** A local run that keeps no record of executions knows nothing of them (never quiet on a guess). */
const noExecutionRecord: Required<HandlerSeams>['executions'] = {
  count: async () => undefined,
  state: async () => 'unknown',
};

function localSeams(step: IncidentStep, env: LocalStepEnvironment): HandlerSeams {
  return {
    now: env.now,
    kubernetes: stepDefinition(step).kubernetes
      ? (env.stepKube?.[step as KubernetesStep] ?? env.kube)
      : undefined,
    executions: env.executions ?? noExecutionRecord,
    secrets: async (arn) => {
      if (arn === LOCAL_LINK_SECRET_ARN && env.approvalLinks) return env.approvalLinks.secret;
      throw new ConfigurationError(`no local value for the secret ${arn}`);
    },
    output: env.functionOutput ?? (() => undefined),
  };
}

/**
 * The environment of each function as the stack gives it (the registry's `environment`, with the
 * function defaults of lib/constructs/function-defaults.ts), the bucket, topic and AWS endpoints
 * those of this machine (or the user's real bucket and topic), the rules file staged as the
 * stack bundles it.
 */
export async function localFunctionEnvironments(
  env: LocalStepEnvironment,
): Promise<Record<IncidentStep, FunctionEnvironment>> {
  const { aws, config } = env;
  // The stack sets the functions' level from the same setting (setFunctionLogLevel).
  const common = { ...(await localAwsEnvironment(aws)), POWERTOOLS_LOG_LEVEL: config.logLevel };
  const resources = {
    bucket: aws.bucket,
    topicArn: aws.topicArn,
    approvalBaseUrl: env.approvalLinks?.baseUrl,
    approvalLinkSecretArn: env.approvalLinks ? LOCAL_LINK_SECRET_ARN : undefined,
    alertmanagerUrl: env.alertmanagerUrl,
    rulesFile: config.rulesFile ? stagedRulesFile(config.rulesFile.text) : undefined,
  };
  return Object.fromEntries(
    INCIDENT_STEPS.map((step) => [
      step,
      withoutUnset({ ...common, ...stepDefinition(step).environment(config, resources) }),
    ]),
  ) as Record<IncidentStep, FunctionEnvironment>;
}

/**
 * What every local function's environment has besides its own variables: the function defaults
 * of lib/constructs/function-defaults.ts (Powertools), the region, and the emulator's endpoints
 * and credentials for the clients that reach it (none for a real bucket or topic, whose clients
 * use the user's own chain; the emulator accepts any signature).
 */
export async function localAwsEnvironment(
  aws: LocalStepEnvironment['aws'],
): Promise<Record<string, string | undefined>> {
  const [s3, sns] = await Promise.all([localEndpoint(aws.s3), localEndpoint(aws.sns)]);
  const credentials = s3 && sns ? s3.credentials : undefined;
  return {
    POWERTOOLS_SERVICE_NAME: DEFAULT_SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: DEFAULT_LOG_LEVEL,
    AWS_REGION: aws.region,
    AWS_ENDPOINT_URL_S3: s3?.url,
    AWS_ENDPOINT_URL_SNS: sns?.url,
    AWS_ACCESS_KEY_ID: credentials?.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials?.secretAccessKey,
    AWS_SESSION_TOKEN: credentials?.sessionToken,
  };
}

export function withoutUnset(environment: Record<string, unknown>): FunctionEnvironment {
  return Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

interface LocalEndpoint {
  url: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The endpoint of a client made for a local server (the emulator), or undefined for AWS itself. */
async function localEndpoint(
  client: LocalStepEnvironment['aws']['s3' | 'sns'],
): Promise<LocalEndpoint | undefined> {
  const config = client.config as typeof client.config & {
    isCustomEndpoint?: boolean;
    endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>;
  };
  if (!config.isCustomEndpoint || !config.endpoint) return undefined;
  const endpoint = await config.endpoint();
  const port = endpoint.port ? `:${endpoint.port}` : '';
  return {
    url: `${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path.replace(/\/$/, '')}`,
    credentials: await client.config.credentials(),
  };
}

/** The user's rules file where the function reads it: the stack bundles the text, so the text is staged. */
function stagedRulesFile(text: string): string {
  const dir = join(tmpdir(), 'eks-incident-rules');
  const file = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.yaml`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
  return file;
}
