import * as z from 'zod';
import { InvalidInputError, WorkloadNotFoundError } from './errors';
import type { SilenceRecord } from './alertmanager-silences';
import type { RemediationBudget, StormEntry } from './remediation-budget';

/**
 * The contracts between the IncidentResponse state machine and its Lambdas.
 *
 * The state document (`$`) grows as the flow runs: each Task reads what it needs from it and
 * its result lands at one ResultPath, so the execution's event log shows every step's output.
 *
 *   $.source, $.target, $.alert, $.options, $.correlation
 *                    the execution input as started, untouched at the top level
 *   $.incident       OpenIncident (notify λ, stage "opened"): normalized input + incident id
 *   $.diagnostics    QuickDiagnostics (diagnose λ)
 *   $.events         CollectEvents (collect-events λ): also writes the bundle manifest
 *   $.guard          Guard (guard λ, action "acquire"); reason "storm" beyond the remediation budget
 *   $.approval       Request Approval (notify λ, stage "approval", waitForTaskToken): the answer
 *   $.storm          Storm Roster (guard λ, action "storm"): the storm batch its opener notifies about
 *   $.dependencyWait Check Dependency (verify λ, check "dependency"), looped until the deadline
 *   $.health         Health Before Restart / Health Before Rollback (verify λ, check "health")
 *   $.restart        Restart (restart λ)
 *   $.verification   Verify (verify λ), looped through Wait until the verify deadline
 *   $.rollback       Rollback (rollback λ)
 *   $.escalation     Escalate (escalate λ)
 *   $.dump           ClusterDump (cluster-dump λ)
 *   $.error          what a Catch caught (Error, Cause), when something failed
 *   $.report         Report (report λ)
 *   $.lockRelease    ReleaseLock (guard λ, action "release")
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Jobs and CronJobs are diagnosed (a TrainingJobFailed alert names a Job) but never restarted or
 * rolled back: their remediation is always `none`, with a fix that says how to rerun.
 */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
/** The kinds the flow can restart and roll back. */
export const ROLLOUT_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;

export const targetSchema = z.object({
  namespace: z.string().max(63).regex(DNS_LABEL, 'must be a Kubernetes namespace name (RFC 1123 label)'),
  kind: z.enum(WORKLOAD_KINDS),
  name: z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a Kubernetes object name (RFC 1123 subdomain)'),
});
export type Target = z.infer<typeof targetSchema>;

/**
 * The target of an alert that names no workload (or none that could be found): the incident
 * still opens, notifies and leaves the namespace's evidence (cluster dump), but the flow skips
 * every step that acts on a workload and goes straight to Escalate.
 */
export const namespaceTargetSchema = z.object({
  namespace: targetSchema.shape.namespace,
  kind: z.literal('Namespace'),
});
export type NamespaceTarget = z.infer<typeof namespaceTargetSchema>;

/** What an incident is about: a workload, or a whole namespace. */
export const incidentTargetSchema = z
  .discriminatedUnion('kind', [targetSchema, namespaceTargetSchema])
  .describe(
    'The workload to diagnose and remediate, or (kind Namespace) a namespace whose evidence is collected for a human.',
  );
export type IncidentTarget = z.infer<typeof incidentTargetSchema>;

/** `Deployment team/web`, `Namespace team`: how messages and reports name a target. */
export function targetText(target: IncidentTarget): string {
  return target.kind === 'Namespace'
    ? `Namespace ${target.namespace}`
    : `${target.kind} ${target.namespace}/${target.name}`;
}

/**
 * The workload of a step that acts on one. The state machine routes namespace-level incidents
 * past these steps, so reaching one with a namespace target is a definition error.
 */
export function workloadTarget(target: IncidentTarget): Target {
  if (target.kind === 'Namespace') {
    throw new WorkloadNotFoundError(`the incident is about namespace "${target.namespace}", not a workload`);
  }
  return target;
}

export const alertSchema = z.object({
  name: z.string().min(1).max(256),
  severity: z.enum(SEVERITIES),
  summary: z.string().max(4096).default(''),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.iso.datetime({ offset: true }),
});

export const optionsSchema = z
  .object({
    dryRun: z
      .boolean()
      .default(false)
      .describe('Diagnose and report only: no write request reaches the cluster.'),
    // The runbook's `sleep 60`.
    waitSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(60)
      .describe('Seconds between a remediation and its verification.'),
    verifyTimeoutSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(300)
      .describe('How long a rollout may stay in progress before verification calls it failed.'),
    allowRollback: z
      .boolean()
      .default(true)
      .describe('Roll back when the restart does not recover the workload.'),
    rollbackToRevision: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Roll back to this revision instead of the one before the incident (forced rollback).'),
  })
  .strict()
  .default({ dryRun: false, waitSeconds: 60, verifyTimeoutSeconds: 300, allowRollback: true });

export const executionInputSchema = z
  .object({
    source: z
      .enum(['alertmanager', 'manual', 'schedule'])
      .describe('Who started the execution: a console execution is manual.'),
    target: incidentTargetSchema,
    alert: alertSchema.describe('The alert (or, for a manual execution, the reason) the incident is about.'),
    options: optionsSchema,
    correlation: z
      .object({ groupKey: z.string().optional(), fingerprint: z.string().optional() })
      .optional()
      .describe("Set by the webhook intake: Alertmanager's group key and fingerprint, for correlation."),
  })
  .strict();

export type ExecutionInput = z.infer<typeof executionInputSchema>;

/**
 * Validates an execution input, naming the first bad field (`target.namespace: must be ...`).
 * Throws InvalidInputError, which the state machine does not retry or catch: the execution
 * fails at its first state, before anything touches the cluster.
 */
export function parseExecutionInput(raw: unknown): ExecutionInput {
  const result = executionInputSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : '(input)';
  throw new InvalidInputError(field, issue.message);
}

/** What OpenIncident puts at `$.incident`. */
export interface Incident extends ExecutionInput {
  /** `<yyyymmdd>-<hhmmss>-<namespace>-<name>-<short hash>`: sortable, readable, unique. */
  id: string;
  openedAt: string;
  /** `incidents/YYYY/MM/DD/<id>/` */
  evidencePrefix: string;
  /** Set when Open Incident sent no page, and why (a storm: lambdas/notify/storm-quiet.ts). */
  quietOpening?: string;
}

/** Probable cause from the runbook rules. */
export interface ProbableCause {
  ruleId: string;
  cause: string;
  suggestedFix: string;
  /** Which runbook the rule comes from. */
  runbook: string;
  /** What matched: a log line, a termination reason, a waiting reason. */
  evidence: string;
}

/**
 * What a cause calls for. `restart` and `rollback` are actions the flow may take;
 * `wait-for-dependency` waits for the named dependency to become ready, then restarts;
 * `none` escalates at once with the fix (a restart cannot help).
 */
export type Remediation = 'restart' | 'rollback' | 'wait-for-dependency' | 'none';

/** A dependency a failing log line names, resolved in the cluster. */
export interface DependencyFinding {
  /** What the log line named: `redis:6379`, `mysql.one-data-system.svc`. */
  reference: string;
  namespace: string;
  service: string;
  /** Ready endpoint addresses the Service has now. */
  readyEndpoints: number;
  /** The workload behind the Service, when its pods have an owner. */
  workload?: { kind: string; name: string };
  /** The dependency's own diagnosis, in one line ("its pod is OOMKilled"). */
  diagnosis?: string;
}

/** One ranked explanation of the incident. */
export interface Hypothesis {
  ruleId: string;
  /** The cause, in words, with the incident's own names. */
  cause: string;
  /** 0..1: how sure the rules are. Below 0.5 the flow treats the diagnosis as unsure. */
  confidence: number;
  /** The evidence lines it rests on, redacted: `pod/container (previous): line`. */
  evidence: string[];
  /** The fix, written with the incident's namespace, workload, service and key names. */
  fix: string;
  remediation: Remediation;
  dependency?: DependencyFinding;
  runbook: { file: string; section: string };
  /** Why its remediation fits, when the rule says more than the remediation alone. */
  reason?: string;
}

/** What the flow will do about the diagnosis, and why (the report quotes `reason`). */
export interface RemediationDecision {
  action: Remediation;
  reason: string;
  /** False when no hypothesis is confident: the flow says it is unsure. */
  confident: boolean;
  /** For `wait-for-dependency`: the Service to wait for. */
  dependency?: { namespace: string; service: string };
}

export interface PodSummary {
  name: string;
  phase: string;
  ready: boolean;
  node?: string;
  restarts: number;
  /** App containers first, then init containers (`init: true`). */
  containers: Array<{
    name: string;
    init?: boolean;
    ready: boolean;
    restartCount: number;
    state: string;
    reason?: string;
    lastTermination?: { reason?: string; exitCode?: number; signal?: string; finishedAt?: string };
  }>;
}

/** `$.diagnostics` */
export interface Diagnostics {
  workload: {
    kind: WorkloadKind;
    namespace: string;
    name: string;
    uid: string;
    /** Deployment: `deployment.kubernetes.io/revision`; StatefulSet/DaemonSet: ControllerRevision number. */
    revision: number;
    /** The highest revision below the current one, if the workload has one (rollback target). */
    previousRevision?: number;
    replicas: number;
    readyReplicas: number;
    updatedReplicas: number;
    availableReplicas: number;
    paused: boolean;
    conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
  pods: PodSummary[];
  nodes: Array<{ name: string; ready: boolean; conditions: Array<{ type: string; status: string }> }>;
  probableCause?: ProbableCause;
  /** Ranked hypotheses, best first (empty when nothing matched). */
  hypotheses?: Hypothesis[];
  /** The remediation the top hypothesis calls for. */
  remediation?: RemediationDecision;
  /** S3 keys written. */
  evidence: { diagnostics: string; logs: string[] };
}

/** `$.events` */
export interface CollectedEvents {
  count: number;
  warnings: number;
  evidence: { events: string; manifest: string };
}

/** `$.guard` */
export interface GuardDecision {
  allowed: boolean;
  /** Why not, in words a human reads in the notification. */
  reason?:
    | 'dry-run'
    | 'namespace-not-allowed'
    | 'workload-not-allowed'
    | 'locked'
    | 'cooldown'
    | 'paused'
    | 'storm'
    | 'policy';
  detail: string;
  lock?: { namespace: string; name: string; holderIdentity: string; acquired: boolean };
  /**
   * When remediation was allowed. Restart writes this instant as its `restartedAt`, so every
   * attempt of the Restart Task (Step Functions retries) writes the same value and a retry can
   * recognise a restart its first attempt already sent.
   */
  decidedAt?: string;
  /** With reason `storm`: which budget refused, the counts, and whether this incident opened the batch. */
  storm?: { scope: 'cluster' | 'namespace'; cluster: number; namespace: number; opener: boolean };
  /** The Alertmanager silence of the incident's alerts while it is remediated, or why there is none. */
  silence?: SilenceRecord;
  /** The remediation policy for this workload (docs/approvals.md): who decides each action. */
  policy?: { restart: 'auto' | 'approve' | 'never'; rollback: 'auto' | 'approve' | 'never' };
}

/** What Request Approval's function returns (the Task's result is the answer, not this). */
export interface ApprovalRequested {
  requestedAt: string;
  expiresAt: string;
  action: 'restart' | 'rollback';
  notified: string[];
}

/**
 * `$.approval`: the answer SendTaskSuccess delivered (Request Approval's result), or, when the
 * wait timed out, `decision: timeout` (set by `Approval Timed Out`).
 */
export interface ApprovalOutcome {
  action: 'restart' | 'rollback';
  decision: 'approved' | 'rejected' | 'timeout';
  /** Who answered: the Slack user, `approval link`, or the CLI's user. */
  by?: string;
  via?: 'slack' | 'link' | 'cli';
  at?: string;
  requestedAt?: string;
  expiresAt?: string;
}

/** `$.storm` (guard λ, action "storm"): the batch of refused incidents the opener notifies about. */
export interface StormRoster {
  takenAt: string;
  budget: RemediationBudget;
  /** Empty when another incident took the batch over (this one's opener had gone stale). */
  entries: StormEntry[];
}

/**
 * `$.health`: the target's health read again right before a write. A workload that is healthy
 * now is not touched, whatever the alert said ("healthy at action time; no action").
 */
export interface HealthCheck {
  healthy: boolean;
  /** Which write it was read for. */
  before: 'restart' | 'rollback';
  /** What was seen, in words the report and notification quote. */
  detail: string;
  checkedAt: string;
}

/** `$.dependencyWait`: the wait for the Service a `wait-for-dependency` remediation names. */
export interface DependencyWait {
  /** `ready`: it has ready endpoints; `waiting`: not yet, before the deadline; `failed`: deadline passed. */
  outcome: 'ready' | 'waiting' | 'failed';
  namespace: string;
  service: string;
  readyEndpoints: number;
  message: string;
  /** First check plus verifyTimeoutSeconds. */
  deadline: string;
  checkedAt: string;
  /** Checks made so far, this one included. */
  checks: number;
}

/** `$.restart` */
export interface RestartResult {
  revisionBefore: number;
  restartedAt: string;
  generation: number;
  /** An earlier attempt of this Task had already restarted the workload: nothing was sent again. */
  alreadyApplied?: boolean;
}

export type VerifyOutcome = 'healthy' | 'progressing' | 'failed';

/** `$.verification` */
export interface Verification {
  outcome: VerifyOutcome;
  /** Which remediation this verifies. */
  phase: 'restart' | 'rollback';
  /** kubectl rollout status's message, e.g. `Waiting for deployment "x" rollout to finish: 1 of 3 updated replicas are available...`. */
  message: string;
  /** ISO time after which "progressing" counts as failed. */
  deadline: string;
  checkedAt: string;
  /**
   * Every check so far, oldest first, restart phase then rollback phase (the loop carries it
   * along, so the report can show what the restart looked like before the rollback).
   */
  history: Array<{
    phase: 'restart' | 'rollback';
    outcome: VerifyOutcome;
    message: string;
    checkedAt: string;
  }>;
  /** Whether a rollback is possible and allowed (restart phase, failed outcome). */
  rollbackPossible: boolean;
}

/** `$.rollback` */
export interface RollbackResult {
  fromRevision: number;
  toRevision: number;
  /** kubectl's "skipped rollback (current template already matches revision N)". */
  skipped: boolean;
  rolledBackAt: string;
  /** An earlier attempt of this Task had already rolled back: nothing was sent again. */
  alreadyApplied?: boolean;
}

/** `$.escalation` */
export interface Escalation {
  escalatedAt: string;
  why: string;
  notified: string[];
}

/** `$.dump` */
/**
 * Where the cluster dump puts the pods' logs: `archive`, one `<ns>/logs.tar.gz` holding
 * kubectl's `<ns>/<pod>/logs.txt` files; `per-pod`, one `<ns>/<pod>/logs.txt.gz` object each.
 */
export const DUMP_LOG_LAYOUTS = ['archive', 'per-pod'] as const;
export type DumpLogLayout = (typeof DUMP_LOG_LAYOUTS)[number];

export interface ClusterDump {
  prefix: string;
  objects: number;
  bytes: number;
  truncated: boolean;
}

/** `$.report` */
export interface ReportResult {
  /** `healthy-no-action`: the target was healthy when the flow was about to write; nothing was changed. */
  /** `storm-no-action`: refused by the remediation budget; diagnosed, evidence kept, listed in a storm notification. */
  outcome:
    | 'recovered-by-restart'
    | 'recovered-by-rollback'
    | 'healthy-no-action'
    | 'escalated'
    | 'dry-run'
    | 'storm-no-action';
  markdown: string;
  json: string;
}

/** `$.notified` (notify λ, stage "recovered" or "no-action"). */
export interface Notified {
  notifiedAt: string;
  /** Channels that delivered: `sns`, `slack`. */
  notified: string[];
}

/** `$.lockRelease` (guard λ, action "release"). */
export interface LockRelease {
  released: boolean;
  detail: string;
  /** The incident's silence, expired now that the flow ends (or why it could not be). */
  silence?: { id: string; expired: boolean; error?: string };
}

/** What a Catch put at `$.error`: Step Functions' error name and its cause (often JSON of the Lambda error). */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** The state document every Task after `Open Incident` receives (see the table at the top). */
export interface WorkflowState {
  incident: Incident;
  diagnostics?: Diagnostics;
  events?: CollectedEvents;
  guard?: GuardDecision;
  storm?: StormRoster;
  approval?: ApprovalOutcome;
  dependencyWait?: DependencyWait;
  health?: HealthCheck;
  restart?: RestartResult;
  verification?: Verification;
  rollback?: RollbackResult;
  notified?: Notified;
  escalation?: Escalation;
  dump?: ClusterDump;
  error?: CaughtError;
  report?: ReportResult;
  lockRelease?: LockRelease;
}

/**
 * The payload every Lambda Task sends (docs/workflow.md, "Lambda event"). `state` is `$`:
 * the raw execution input for `Open Incident`, a WorkflowState for every later Task.
 */
export interface StepEvent<State = WorkflowState, Params = Record<string, string>> {
  state: State;
  execution: { id: string; name: string; startTime: string };
  /** The Task's state name, for the logs (`Quick Diagnostics`, `Release Lock`). */
  step?: string;
  params?: Params;
}
