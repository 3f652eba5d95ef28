import type * as z from 'zod';
import {
  clusterDumpEnv,
  collectEventsEnv,
  diagnoseEnv,
  escalateEnv,
  guardEnv,
  notifyEnv,
  remediateEnv,
  reportEnv,
  verifyEnv,
  type EnvOf,
} from '../lambdas/shared/env';
import { stormBrakeOf, type StackConfig } from './config';

/**
 * The step registry: for each function of the IncidentResponse workflow, the Task states it
 * serves, its folder (`lambdas/<folder>/handler.ts`), its environment schema and the environment
 * the stack gives it, its sizing and what it is granted. The stack builds its functions from
 * it (lib/incident-response-stack.ts) and the local engine its handlers (local/engine/local-steps.ts),
 * so a step added here is deployed and rehearsed alike.
 *
 * Imports no aws-cdk-lib: the local engine reads it without loading CDK.
 */

/** The functions, by their folder under `lambdas/` (also their Kubernetes group's suffix). */
export const INCIDENT_STEPS = [
  'notify',
  'diagnose',
  'collect-events',
  'guard',
  'restart',
  'verify',
  'rollback',
  'escalate',
  'cluster-dump',
  'report',
] as const;
export type IncidentStep = (typeof INCIDENT_STEPS)[number];

/** What the stack (CDK references) or the local engine (local servers) fills into the environments. */
export interface StepResources {
  /** The evidence bucket's name. */
  bucket: string;
  /** The notification topic's ARN. */
  topicArn: string;
  /** The Slack incoming-webhook secret, when Slack is configured. */
  slackSecretArn?: string;
  /** Where approval links point (the HTTP API, or `serve`); unset: no links. */
  approvalBaseUrl?: string;
  /** The secret that signs approval links. */
  approvalLinkSecretArn?: string;
  /** The secret with Alertmanager's credentials, when configured. */
  alertmanagerAuthSecretArn?: string;
  /** Alertmanager's URL, for the incident's silences. @default config.alertmanagerUrl */
  alertmanagerUrl?: string;
  /** The absolute path of the user's rules file as the function sees it, when configured. */
  rulesFile?: string;
}

/**
 * What a step's role is granted besides its Kubernetes group (lambdas/shared/kubernetes/step-access.ts):
 * - `evidence:write` / `evidence:read-write`: objects under `incidents/` in the evidence bucket;
 * - `notify`: SNS publish and the Slack secret;
 * - `approvals`: the approval records, and reading the link-signing secret;
 * - `list-executions`: states:ListExecutions on the workflow (the storm quiet);
 * - `describe-executions`: states:DescribeExecution on its executions (a lock holder's liveness);
 * - `alertmanager-auth`: reading Alertmanager's credentials secret (the silences).
 */
export type StepGrant =
  | 'evidence:write'
  | 'evidence:read-write'
  | 'notify'
  | 'approvals'
  | 'list-executions'
  | 'describe-executions'
  | 'alertmanager-auth';

export interface StepDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Construct id of the step's function. */
  readonly id: string;
  /** The Task states of the IncidentResponse definition that invoke it. */
  readonly states: readonly string[];
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Talks to the Kubernetes API: gets an access entry and, when configured, runs in the VPC. */
  readonly kubernetes: boolean;
  /** The schema its handler parses its environment with (lambdas/shared/env.ts). */
  readonly envSchema: S;
  /** The environment the stack gives it. */
  environment(config: StackConfig, resources: StepResources): EnvOf<S>;
  readonly grants: readonly StepGrant[];
}

/** Keeps each entry's environment typed by its own schema. */
const step = <S extends z.ZodObject>(definition: StepDefinition<S>): StepDefinition<S> => definition;

const kube = (config: StackConfig): EnvOf<typeof verifyEnv> => ({
  CLUSTER_NAME: config.clusterName,
  CLUSTER_ENDPOINT: config.clusterEndpoint,
  CLUSTER_CA_DATA: config.clusterCaData,
  KUBE_REQUEST_TIMEOUT_MS: String(config.kubeRequestTimeoutMs),
});

const notifications = (resources: StepResources): EnvOf<typeof notifyEnv> => ({
  EVIDENCE_BUCKET: resources.bucket,
  TOPIC_ARN: resources.topicArn,
  SLACK_SECRET_ARN: resources.slackSecretArn,
});

const remediate = (config: StackConfig): EnvOf<typeof remediateEnv> => ({
  ...kube(config),
  ALLOWED_NAMESPACES: config.allowedNamespaces.join(','),
});

/**
 * Per-step sizing. Timeouts cover the step's slowest legitimate run (diagnostics read many
 * logs; the dump lists the whole cluster); the state machine adds its margin on top.
 *
 * A folder serves several states where they share one role: Open Incident and the other
 * notifications all publish (notify/), and Release Lock and Storm Roster use Guard's Leases (guard/).
 */
export const INCIDENT_STEP_REGISTRY = {
  notify: step({
    id: 'Notify',
    states: ['Open Incident', 'Request Approval', 'Notify No Action', 'Notify Storm', 'Notify Recovered'],
    description: 'Opens the incident and announces recovery',
    timeoutSeconds: 30,
    memorySize: 256,
    kubernetes: false,
    envSchema: notifyEnv,
    environment: (config, resources) => ({
      ...notifications(resources),
      APPROVAL_BASE_URL: resources.approvalBaseUrl,
      APPROVAL_LINK_SECRET_ARN: resources.approvalLinkSecretArn,
      STORM_QUIET_ABOVE: String(stormBrakeOf(config).budget.cluster),
    }),
    grants: ['notify', 'approvals', 'list-executions'],
  }),
  diagnose: step({
    id: 'Diagnose',
    states: ['Quick Diagnostics'],
    description: 'Workload, pods, logs and nodes of the target; probable cause',
    timeoutSeconds: 120,
    memorySize: 1024,
    kubernetes: true,
    envSchema: diagnoseEnv,
    environment: (config, resources) => ({
      ...kube(config),
      EVIDENCE_BUCKET: resources.bucket,
      LOG_TAIL_LINES: String(config.logTailLines),
      LOG_LIMIT_BYTES: String(config.logLimitBytes),
      RULES_FILE: config.rulesFile ? resources.rulesFile : undefined,
    }),
    grants: ['evidence:write'],
  }),
  'collect-events': step({
    id: 'CollectEvents',
    states: ['Collect Events'],
    description: 'Events of the target; writes the evidence manifest',
    timeoutSeconds: 60,
    memorySize: 512,
    kubernetes: true,
    envSchema: collectEventsEnv,
    environment: (config, resources) => ({ ...kube(config), EVIDENCE_BUCKET: resources.bucket }),
    grants: ['evidence:read-write'],
  }),
  guard: step({
    id: 'Guard',
    states: ['Guard', 'Storm Roster', 'Release Lock'],
    description: 'Decides whether remediation may run; takes and releases the per-workload lock',
    timeoutSeconds: 30,
    memorySize: 256,
    kubernetes: true,
    envSchema: guardEnv,
    environment: (config, resources) => {
      const alertmanagerUrl = resources.alertmanagerUrl ?? config.alertmanagerUrl;
      return {
        ...remediate(config),
        ALLOWED_WORKLOADS: config.allowedWorkloads?.join(','),
        COOLDOWN_SECONDS: String(config.cooldownSeconds),
        LOCK_TTL_SECONDS: String(config.lockTtlSeconds),
        REMEDIATION_BUDGET: JSON.stringify(stormBrakeOf(config).budget),
        BUDGET_LEDGER_NAMESPACE: stormBrakeOf(config).ledgerNamespace,
        REMEDIATION_POLICY: JSON.stringify(config.remediationPolicy),
        ALERTMANAGER_URL: alertmanagerUrl,
        ALERTMANAGER_AUTH_SECRET_ARN: resources.alertmanagerAuthSecretArn,
        EVIDENCE_BUCKET: alertmanagerUrl ? resources.bucket : undefined,
      };
    },
    grants: ['describe-executions', 'alertmanager-auth'],
  }),
  restart: step({
    id: 'Restart',
    states: ['Restart'],
    description: 'kubectl rollout restart',
    timeoutSeconds: 30,
    memorySize: 256,
    kubernetes: true,
    envSchema: remediateEnv,
    environment: remediate,
    grants: [],
  }),
  verify: step({
    id: 'Verify',
    states: ['Health Before Restart', 'Health Before Rollback', 'Check Dependency', 'Verify'],
    description: 'kubectl rollout status plus pod readiness',
    timeoutSeconds: 30,
    memorySize: 256,
    kubernetes: true,
    envSchema: verifyEnv,
    environment: kube,
    grants: [],
  }),
  rollback: step({
    id: 'Rollback',
    states: ['Rollback'],
    description: 'kubectl rollout undo',
    timeoutSeconds: 60,
    memorySize: 256,
    kubernetes: true,
    envSchema: remediateEnv,
    environment: remediate,
    grants: [],
  }),
  escalate: step({
    id: 'Escalate',
    states: ['Escalate'],
    description: 'Pages a human with the evidence',
    timeoutSeconds: 30,
    memorySize: 256,
    kubernetes: false,
    envSchema: escalateEnv,
    environment: (_config, resources) => notifications(resources),
    grants: ['notify'],
  }),
  'cluster-dump': step({
    id: 'ClusterDump',
    states: ['Cluster Dump'],
    description: 'kubectl cluster-info dump, to S3',
    timeoutSeconds: 600,
    memorySize: 1024,
    kubernetes: true,
    envSchema: clusterDumpEnv,
    environment: (config, resources) => ({
      ...kube(config),
      EVIDENCE_BUCKET: resources.bucket,
      DUMP_MAX_BYTES: String(config.dumpMaxBytes),
      DUMP_CONCURRENCY: String(config.dumpConcurrency),
      LOG_LIMIT_BYTES: String(config.logLimitBytes),
      DUMP_LOGS: config.dumpLogs,
    }),
    grants: ['evidence:read-write'],
  }),
  report: step({
    id: 'Report',
    states: ['Report'],
    description: 'Post-incident report (Markdown + JSON)',
    timeoutSeconds: 60,
    memorySize: 512,
    kubernetes: false,
    envSchema: reportEnv,
    environment: (_config, resources) => ({ EVIDENCE_BUCKET: resources.bucket }),
    grants: ['evidence:read-write'],
  }),
} satisfies Record<IncidentStep, StepDefinition<z.ZodObject>>;

/** The registry entry of a step, with its environment typed loosely (for loops over all steps). */
export function stepDefinition(name: IncidentStep): StepDefinition {
  return INCIDENT_STEP_REGISTRY[name] as unknown as StepDefinition;
}
