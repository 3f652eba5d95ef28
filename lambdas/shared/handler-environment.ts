import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { BackupObjects } from '../backup-check-s3/backup-objects';
import type { ExecutionLiveness } from './execution-liveness';
import type { KubernetesPort } from './kubernetes/kubernetes-port';
import type { MetricsDestination } from './observability/incident-metrics';
import { createLogger, type Logger } from './observability/logger';
import type { IncidentsInFlight } from '../notify/storm-quiet';

/**
 * What a handler module is built from: the function's environment and, outside Lambda, a few
 * seams. On Lambda the environment is `process.env` and there are no seams
 * (`export const handler = createHandler(process.env)`); the local engine builds the same
 * handler from the environment the stack gives the function (lib/constructs/incident-steps.ts),
 * its endpoints pointed at the local servers, because `process.env` is one per process and the
 * local steps each need their own.
 */
export type FunctionEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Only what a run on one machine cannot say with variables. Each is unset on Lambda, where the
 * handler uses what the environment names.
 */
export interface HandlerSeams {
  /**
   * The clock the cluster runs on. A sandbox may run its time scaled (a 60 s Wait in 1 s) and the
   * steps' timestamps (restartedAt, lock renewals, cooldowns) must agree with the cluster's
   * clock, which a variable cannot hand over. @default - the wall clock
   */
  now?: () => Date;
  /**
   * A Kubernetes client made from a kubeconfig: the cluster is the user's own (kind, minikube, an
   * EKS context) or the sandbox, not an EKS cluster reached with the function role's IAM token,
   * and a kubeconfig's credentials (client certificates, exec plugins, a group's token) are not
   * the environment's. The request timeout is the client's own. @default - EKS from CLUSTER_* variables
   */
  kubernetes?: KubernetesPort;
  /**
   * The executions of this machine's engine, for Guard (does a lock's holder still run?) and Open
   * Incident (how many incidents are in flight, for the storm quiet). On AWS they are Step
   * Functions' DescribeExecution and ListExecutions; the local engine has no Step Functions
   * endpoint, its executions live in this process (local/engine/execution-registry.ts).
   * @default - Step Functions
   */
  executions?: ExecutionLiveness & IncidentsInFlight;
  /**
   * The value of a Secrets Manager secret the environment names by ARN (the approval links'
   * signing secret). Nothing on this machine speaks Secrets Manager (fauxqs does not), and a
   * secret's value must not be a variable. @default - Secrets Manager
   */
  secrets?: (secretArn: string) => Promise<string>;
  /**
   * Where the backups are read (backup-check-s3): a rehearsal reads the demo's backups on the
   * emulator, or the user's own through their credentials, possibly on an S3-compatible store
   * addressed path-style (`verify-backups --backups-endpoint`, e.g. MinIO), which no standard
   * variable expresses. @default - S3 with the function's role, following region redirects
   */
  backups?: BackupObjects;
  /**
   * Where the function's JSON log lines and EMF metric documents go. On Lambda that is stdout,
   * which CloudWatch Logs reads; in-process, stdout is the CLI's own output (`run --json`
   * prints its result there). @default - stdout
   */
  output?: (line: string) => void;
}

/** The services the handlers call, by the suffix of their `AWS_ENDPOINT_URL_*` variable. */
export type AwsService = 'S3' | 'SNS' | 'SFN' | 'SECRETS_MANAGER' | 'EKS';

export interface AwsClientSettings {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * An AWS SDK client's region, endpoint and credentials as the SDK itself would read them from
 * `environment` (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE> else AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID...),
 * so a handler built from an explicit environment reaches what that environment names. What the
 * environment leaves unset is left to the SDK's own chain (a user's profile for a rehearsal
 * that writes to their real bucket).
 */
export function awsClientConfig(environment: FunctionEnvironment, service: AwsService): AwsClientSettings {
  const settings: AwsClientSettings = {};
  if (environment.AWS_REGION) settings.region = environment.AWS_REGION;
  const endpoint = environment[`AWS_ENDPOINT_URL_${service}`] ?? environment.AWS_ENDPOINT_URL;
  if (endpoint) settings.endpoint = endpoint;
  if (environment.AWS_ACCESS_KEY_ID && environment.AWS_SECRET_ACCESS_KEY) {
    settings.credentials = {
      accessKeyId: environment.AWS_ACCESS_KEY_ID,
      secretAccessKey: environment.AWS_SECRET_ACCESS_KEY,
      ...(environment.AWS_SESSION_TOKEN ? { sessionToken: environment.AWS_SESSION_TOKEN } : {}),
    };
  }
  return settings;
}

export interface HandlerObservability {
  /** The handler's own logger; unset on Lambda, where observedHandler makes the function's on first use. */
  log?: Logger;
  metrics: MetricsDestination;
}

/**
 * The logger and metrics destination of a handler: on Lambda (`process.env`, no `output` seam)
 * the function's own, made on first use and configured by Powertools from `process.env`;
 * otherwise made from the environment's POWERTOOLS_* variables, writing to the `output` seam.
 */
export function handlerObservability(
  environment: FunctionEnvironment,
  seams: HandlerSeams,
): HandlerObservability {
  if (environment === process.env && !seams.output) return { metrics: {} };
  return {
    log: createLogger({
      level: environment.POWERTOOLS_LOG_LEVEL as LogLevel | undefined,
      serviceName: environment.POWERTOOLS_SERVICE_NAME,
      write: seams.output,
    }),
    metrics: {
      namespace: environment.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: environment.POWERTOOLS_SERVICE_NAME,
      write: seams.output,
    },
  };
}
