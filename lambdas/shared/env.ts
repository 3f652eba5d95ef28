import * as z from 'zod';
import { cronJobSourceSchema, restoreTestSchema, s3SourceSchema } from './backup-config';
import { alertTargetRulesSchema } from './alert-targets';
import { DUMP_LOG_LAYOUTS, targetSchema } from './contracts';
import { ConfigurationError } from './errors';
import { remediationPolicySchema } from './approval/policy';
import { remediationBudgetSchema } from './remediation-budget';

/**
 * One schema per function's environment. The CDK construct types its `environment` prop
 * from these (`EnvOf<typeof notifyEnv>`), and each handler parses `process.env` with the
 * same schema at cold start, so a missing or malformed variable fails loudly, naming the
 * variable, instead of being papered over with a default.
 */

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
);

/** A JSON document in one variable, checked against `schema`. */
const jsonOf = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const seconds = z.string().regex(/^\d+$/, 'must be a whole number of seconds').transform(Number);
const positiveInt = z
  .string()
  .regex(/^[1-9]\d*$/, 'must be a positive whole number')
  .transform(Number);

/** How functions that talk to Kubernetes find and authenticate to the cluster. */
export const kubeEnv = z.object({
  CLUSTER_NAME: z.string().min(1),
  /** API endpoint; when unset it is read with eks:DescribeCluster at cold start. */
  CLUSTER_ENDPOINT: z.url().optional(),
  /** Base64 PEM of the cluster CA; read with eks:DescribeCluster when unset. */
  CLUSTER_CA_DATA: z.string().optional(),
  /** Client-side timeout of one Kubernetes request, in ms. */
  KUBE_REQUEST_TIMEOUT_MS: positiveInt,
});

export const evidenceEnv = z.object({ EVIDENCE_BUCKET: z.string().min(3) });

export const notifyEnv = evidenceEnv.extend({
  TOPIC_ARN: z.string().startsWith('arn:'),
  /** Secrets Manager secret holding the Slack incoming-webhook URL; no Slack when unset. */
  SLACK_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** Where signed approval links point (the HTTP API's URL); unset: Slack buttons and the CLI only. */
  APPROVAL_BASE_URL: z.url().optional(),
  /** Secrets Manager secret that signs approval links; set with APPROVAL_BASE_URL. */
  APPROVAL_LINK_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /**
   * The storm brake's cluster budget: with more incidents running than this, Open Incident
   * sends no page (lambdas/notify/storm-quiet.ts). Unset: every opening pages.
   */
  STORM_QUIET_ABOVE: positiveInt.optional(),
});

/** The approval routes of the HTTP API (lambdas/approval): signed links and Slack's buttons. */
export const approvalEnv = evidenceEnv.extend({
  /** Secrets Manager secret that signs approval links (the stack generates it). */
  APPROVAL_LINK_SECRET_ARN: z.string().startsWith('arn:'),
  /** Secrets Manager secret holding the Slack app's signing secret; unset: the Slack route answers 404. */
  SLACK_SIGNING_SECRET_ARN: z.string().startsWith('arn:').optional(),
});

export const diagnoseEnv = kubeEnv.merge(evidenceEnv).extend({
  LOG_TAIL_LINES: positiveInt,
  LOG_LIMIT_BYTES: positiveInt,
  /** The user's rules file bundled with the function (CDK context rulesFile); unset: built-in rules only. */
  RULES_FILE: z.string().startsWith('/').optional(),
});

export const collectEventsEnv = kubeEnv.merge(evidenceEnv);

export const guardEnv = kubeEnv.extend({
  /** Namespaces the workflow may act in; nothing outside them is ever written. */
  ALLOWED_NAMESPACES: csv.refine((list) => list.length > 0, 'must name at least one namespace'),
  /** Optional narrower list of `namespace/Kind/name` (each part may be `*`). */
  ALLOWED_WORKLOADS: csv.optional(),
  /** No second restart of the same workload within this window: escalate instead. */
  COOLDOWN_SECONDS: seconds,
  /** How long the per-workload Lease holds without renewal. */
  LOCK_TTL_SECONDS: positiveInt,
  /** The storm brake's budget, as JSON: `{"cluster":10,"namespace":5,"windowSeconds":3600}`. */
  REMEDIATION_BUDGET: jsonOf(remediationBudgetSchema),
  /** The namespace of the budget ledger's Lease. */
  BUDGET_LEDGER_NAMESPACE: z.string().min(1),
  /** Alertmanager's URL, for the incident's silences; unset: none. */
  ALERTMANAGER_URL: z.url().optional(),
  /**
   * Secrets Manager secret with Alertmanager's credentials (docs/approvals.md): a bearer token,
   * or `{"username": ..., "password": ...}` for basic auth. Unset: no Authorization header.
   */
  ALERTMANAGER_AUTH_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** The evidence bucket the silences' comments link (set with ALERTMANAGER_URL). */
  EVIDENCE_BUCKET: z.string().min(3).optional(),
  /** The remediation policy, as JSON (docs/approvals.md). */
  REMEDIATION_POLICY: jsonOf(remediationPolicySchema),
});

export const remediateEnv = kubeEnv.extend({
  ALLOWED_NAMESPACES: guardEnv.shape.ALLOWED_NAMESPACES,
});

export const verifyEnv = kubeEnv;

export const escalateEnv = notifyEnv;

export const clusterDumpEnv = kubeEnv.merge(evidenceEnv).extend({
  DUMP_MAX_BYTES: positiveInt,
  DUMP_CONCURRENCY: positiveInt,
  LOG_LIMIT_BYTES: positiveInt,
  DUMP_LOGS: z.enum(DUMP_LOG_LAYOUTS),
});

export const reportEnv = evidenceEnv;

/** The Alertmanager webhook intake (lambdas/intake). */
export const intakeEnv = kubeEnv.merge(evidenceEnv).extend({
  /** The IncidentResponse state machine it starts. */
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  /** Secrets Manager secret holding the bearer token Alertmanager sends (`http_config.authorization`). */
  WEBHOOK_TOKEN_SECRET_ARN: z.string().startsWith('arn:'),
  /** JSON array of the service-level alert rules (lambdas/shared/alert-targets.ts); `[]` for none. */
  ALERT_TARGETS: jsonOf(alertTargetRulesSchema),
  /** Namespace of the namespace-level incident an alert without a namespace label opens. */
  DEFAULT_NAMESPACE: targetSchema.shape.namespace,
  /** `true`: every execution the webhook starts is a dry run (rehearsing before going live). */
  DRY_RUN: z.enum(['true', 'false']).transform((value) => value === 'true'),
});

/** The backup-verification functions get only their own part of the backup configuration. */
export const backupCheckS3Env = z.object({ BACKUP_S3_SOURCES: jsonOf(z.array(s3SourceSchema)) });

export const backupCheckCronJobsEnv = kubeEnv.extend({
  BACKUP_CRONJOBS: jsonOf(z.array(cronJobSourceSchema)),
});

export const backupRestoreTestEnv = kubeEnv.extend({
  BACKUP_RESTORE_TESTS: jsonOf(z.array(restoreTestSchema)),
  BACKUP_RESTORE_POLL_SECONDS: positiveInt,
});

export const backupReportEnv = notifyEnv.extend({
  /** Also tell people when every check passed (failures are always told). */
  BACKUP_SUCCESS_DIGEST: z.enum(['true', 'false']).transform((value) => value === 'true'),
});

/** The environment record CDK must pass for a schema (all values are strings). */
export type EnvOf<S extends z.ZodObject> = { [K in keyof z.input<S>]: z.input<S>[K] };

/**
 * Parse options for what a function checks once per invocation (its environment, the state
 * document): zod's JIT compiles a parser with `new Function` for each object schema at its first
 * parse, a cost every cold start pays in full and a parse run once or twice never earns back.
 */
export const PARSE_ONCE = { jitless: true } as const;

/** Parses `process.env` (or any record) with a schema; ConfigurationError names every bad variable. */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env, PARSE_ONCE);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ConfigurationError(`invalid function environment: ${problems}`);
}
