import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Node } from 'constructs';
import * as z from 'zod';
import { alertTargetRulesSchema } from '../lambdas/shared/alert-targets';
import { backupConfigSchema } from '../lambdas/shared/backup-config';
import { DUMP_LOG_LAYOUTS } from '../lambdas/shared/contracts';
import { ConfigurationError } from '../lambdas/shared/errors';
import { parseRules } from '../lambdas/shared/rules/load-rules';
import type { StormBrake } from '../lambdas/guard/storm-brake';
import { DEFAULT_RBAC_GROUP } from '../lambdas/shared/rbac';
import { DEFAULT_REMEDIATION_BUDGET } from '../lambdas/shared/remediation-budget';
import { remediationPolicySchema } from '../lambdas/shared/approval/policy';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from '../lambdas/shared/observability/log-levels';

/**
 * The stack's configuration, read from CDK context (`-c key=value` or cdk.json's `context`).
 *
 * The defaults below are the user-facing settings a deployer may change, so they live here,
 * next to their documentation, and nowhere else: the stack passes every value on explicitly
 * and the functions' environment schemas have no defaults of their own.
 *
 * On the command line every value is a string, in cdk.json it may be a number or a list:
 * both spellings are accepted (`-c allowedNamespaces=a,b` or `"allowedNamespaces": ["a", "b"]`).
 */

const list = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : value,
  z.array(z.string().min(1)),
);

/** A whole number from cdk.json (number) or the command line (string). */
const wholeNumber = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );

/** A switch from cdk.json (boolean) or the command line (`true`/`false`). */
const flag = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean({ error: 'must be true or false' }),
);

/**
 * A JSON document from context: an object as cdk.json holds it, or on the command line the JSON
 * itself or the path of a file with it (relative to the working directory, as `cdk` runs).
 */
function jsonDocument<S extends z.ZodType>(what: string, schema: S) {
  return z
    .unknown()
    .transform((value, ctx) => {
      if (typeof value !== 'string') return value;
      const text = value.trim();
      try {
        return JSON.parse(text.startsWith('{') ? text : readFileSync(path.resolve(text), 'utf8')) as unknown;
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `must be the ${what} as JSON or the path of a JSON file (${(error as Error).message})`,
        });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** The backup configuration (`backupSources`). */
const backupSources = jsonDocument('backup configuration', backupConfigSchema);

/** EventBridge Scheduler's recurring expressions: cron() with its six fields, or rate(). */
const SCHEDULE = /^(cron\(\S+( \S+){5}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The webhook's alert target rules as cdk.json holds them (an array), or on the command line:
 * the JSON itself, or the path of a file with it (relative to the working directory).
 */
const alertTargetsDocument = z
  .unknown()
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    try {
      return JSON.parse(text.startsWith('[') ? text : readFileSync(path.resolve(text), 'utf8')) as unknown;
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `must be the alert target rules as a JSON array or the path of a JSON file (${(error as Error).message})`,
      });
      return z.NEVER;
    }
  })
  .pipe(alertTargetRulesSchema);

/**
 * The user's diagnosis rules: the path of a YAML or JSON rules file (docs/rules.md), read and
 * validated against the rule schema at synth time, so a bad rule fails `cdk synth` naming the
 * field. Its text is bundled with the diagnose function.
 */
const rulesDocument = z
  .string()
  .min(1)
  .transform((file, ctx) => {
    try {
      const text = readFileSync(path.resolve(file), 'utf8');
      parseRules(text, file);
      return { path: file, text };
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/**
 * The storm brake's budget as cdk.json holds it (an object), or on the command line as JSON.
 * Each field falls back to its default on its own: `{"cluster": 20}` keeps the rest.
 */
const remediationBudgetDocument = z
  .unknown()
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a JSON object such as {"cluster":10,"namespace":5,"windowSeconds":3600} (${(error as Error).message})`,
      });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .object({
        cluster: z.number().int().min(1).max(10000).default(DEFAULT_REMEDIATION_BUDGET.cluster),
        namespace: z.number().int().min(1).max(10000).default(DEFAULT_REMEDIATION_BUDGET.namespace),
        windowSeconds: z
          .number()
          .int()
          .min(60)
          .max(7 * 86400)
          .default(DEFAULT_REMEDIATION_BUDGET.windowSeconds),
        /** The namespace of the ledger's Lease; unset: the first of allowedNamespaces. */
        ledgerNamespace: z.string().optional(),
      })
      .strict(),
  );

/** The remediation policy (`remediationPolicy`). */
const remediationPolicyDocument = jsonDocument('remediation policy', remediationPolicySchema);

/** EC2 ids: the prefix, then 8 (older) or 17 hex digits. */
const awsId = (prefix: string) => new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);
/** A Secrets Manager secret name, as Secrets Manager allows it. */
const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name (letters, digits, /_+=.@-)');
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** `namespace/Kind/name`, each part may be `*` (the guard's ALLOWED_WORKLOADS format). */
const WORKLOAD_PATTERN = /^([a-z0-9-]+|\*)\/(Deployment|StatefulSet|DaemonSet|\*)\/([a-z0-9.-]+|\*)$/;

export const configSchema = z
  .object({
    /** The EKS cluster the workflow acts on (required). */
    clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must be an EKS cluster name'),
    /** Deploy to this region; unset: an environment-agnostic stack (the CLI's region at deploy time). */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
      .optional(),
    /** Namespaces where the workflow may restart or roll back workloads (required, at least one). */
    allowedNamespaces: list.pipe(
      z
        .array(z.string().regex(DNS_LABEL, 'must be Kubernetes namespace names'))
        .min(1, 'must name at least one namespace'),
    ),
    /** Narrower allow-list of `namespace/Kind/name` (each part may be `*`); unset: every workload there. */
    allowedWorkloads: list
      .pipe(z.array(z.string().regex(WORKLOAD_PATTERN, 'must be namespace/Kind/name entries')))
      .optional(),
    /** Days before incident evidence and backup-verification results expire from S3. */
    evidenceRetentionDays: wholeNumber(1, 3650).default(90),
    /** Secrets Manager secret (name) holding the Slack incoming-webhook URL; unset: SNS only. */
    slackSecretName: z.string().min(1).optional(),
    /** VPC to run the functions in, for clusters with a private endpoint; unset: no VPC. */
    vpcId: z.string().regex(awsId('vpc'), 'must be a VPC id').optional(),
    /** Subnets (in vpcId) for the functions; required with vpcId. */
    subnetIds: list.pipe(z.array(z.string().regex(awsId('subnet'), 'must be subnet ids'))).optional(),
    /** Security groups for the functions; unset with vpcId: one egress-only group per function. */
    securityGroupIds: list
      .pipe(z.array(z.string().regex(awsId('sg'), 'must be security group ids')))
      .optional(),
    /** API endpoint; unset: read with eks:DescribeCluster at cold start. */
    clusterEndpoint: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /** Base64 PEM of the cluster CA; unset: read with eks:DescribeCluster at cold start. */
    clusterCaData: z.base64('must be base64').optional(),
    /** No second remediation of the same workload within this many seconds: escalate instead. */
    cooldownSeconds: wholeNumber(0, 86400).default(900),
    /**
     * The longest the per-workload lock (a Lease) is taken for. Within it, the Lease is sized to
     * the remediation's own deadline (its wait and verify timeout) and renewed by Verify and
     * Rollback, and the lock of an execution that has ended is taken over at once.
     */
    lockTtlSeconds: wholeNumber(60, 86400).default(3600),
    /**
     * An existing SNS topic (ARN) the fallback alarm pages when an execution fails, times out or is
     * aborted; unset: the stack creates its own (output FallbackAlarmTopicArn).
     */
    fallbackAlarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN')
      .optional(),
    /** An e-mail address subscribed to the fallback alarm's own topic. */
    fallbackAlarmEmail: z.email('must be an e-mail address').optional(),
    /**
     * The functions' log level (POWERTOOLS_LOG_LEVEL): DEBUG, INFO, WARN or ERROR. Lambda's own
     * log-level setting (advanced logging controls), when set on a function, takes precedence.
     */
    logLevel: z
      .preprocess((value) => (typeof value === 'string' ? value.toUpperCase() : value), z.enum(LOG_LEVELS))
      .default(DEFAULT_LOG_LEVEL),
    /** Client-side timeout of one Kubernetes request, in milliseconds. */
    kubeRequestTimeoutMs: wholeNumber(1000, 120000).default(10000),
    /** Lines of each container log kept by diagnostics (the runbook's log analyzer uses 1000). */
    logTailLines: wholeNumber(1, 100000).default(1000),
    /** Cap on each container log, in bytes. */
    logLimitBytes: wholeNumber(1024, 10485760).default(262144),
    /** Cap on the cluster dump's total size, in bytes. */
    dumpMaxBytes: wholeNumber(1048576, 1073741824).default(104857600),
    /** Parallel Kubernetes requests of the cluster dump. */
    dumpConcurrency: wholeNumber(1, 32).default(4),
    /**
     * Where the cluster dump puts the pods' logs: `archive`, one `<namespace>/logs.tar.gz` of
     * kubectl's `<namespace>/<pod>/logs.txt` files; `per-pod`, one `logs.txt.gz` object per pod
     * (the layout before issue 13; an S3 request per pod).
     */
    dumpLogs: z.enum(DUMP_LOG_LAYOUTS).default('archive'),
    /**
     * A YAML/JSON file of diagnosis rules (docs/rules.md) that add to or override the built-in
     * ones; bundled with the diagnose function. Unset: the built-in rules only.
     */
    rulesFile: rulesDocument.optional(),
    /**
     * The storm brake (docs/reliability.md "Storm brake"): at most `cluster` remediations in the
     * cluster and `namespace` in one namespace within `windowSeconds`; beyond it incidents are
     * diagnosed and kept as evidence, not acted on, and listed in one storm notification. The
     * ledger is a Lease in `ledgerNamespace` (one of allowedNamespaces; default the first).
     */
    remediationBudget: remediationBudgetDocument.default({ ...DEFAULT_REMEDIATION_BUDGET }),
    /**
     * Who decides each remediation (docs/approvals.md): `{"default": {"restart": "auto",
     * "rollback": "approve"}, "namespaces": {"payments": {"restart": "approve"}}, "workloads":
     * {"payments/Deployment/ledger": {"rollback": "never"}}, "timeoutSeconds": 3600}`; each mode is
     * `auto`, `approve` or `never`. Unset: restart auto, rollback approve, one hour to answer.
     */
    remediationPolicy: remediationPolicyDocument.default({
      default: {},
      namespaces: {},
      workloads: {},
      timeoutSeconds: 3600,
    }),
    /**
     * The public URL of the HTTP API (or of `serve`) that signed approval links in the SNS message
     * point at; unset on AWS: the stack's own HTTP API URL.
     */
    approvalBaseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /**
     * Alertmanager's URL (reachable from the functions, e.g. in the VPC): while a remediation
     * runs, the alerts that opened the incident are silenced, and the silence is expired when
     * the flow ends. Unset: no silences.
     */
    alertmanagerUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /**
     * Secrets Manager secret (name) with Alertmanager's credentials, for the silences (docs/approvals.md):
     * a bearer token, or `{"username": "...", "password": "..."}` for basic auth. Needs alertmanagerUrl.
     */
    alertmanagerAuthSecretName: secretName.optional(),
    /** Secrets Manager secret (name) with the Slack app's signing secret; unset: no Slack interactivity route. */
    slackSigningSecretName: secretName.optional(),
    /** Prefix of the Kubernetes groups the access entries map the functions' roles to, `<rbacGroup>:<step>` (the RBAC manifest binds each). */
    rbacGroup: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase Kubernetes group name')
      .default(DEFAULT_RBAC_GROUP),

    // ---- Scheduled backup verification (the BackupVerification state machine) ----------
    /**
     * What to verify: S3 backup prefixes, the CronJobs that make the backups, restore tests
     * (lambdas/shared/backup-config.ts; examples/backup-sources.json). The JSON document, the
     * path of a file holding it, or in cdk.json the object itself. Unset: no backup verification.
     */
    backupSources: backupSources.optional(),
    /**
     * When it runs, as an EventBridge Scheduler expression: daily at 06:00, after the nightly
     * backup window (the runbooks' MySQL dump at 02:00, MinIO mirror, Milvus backup at 03:00).
     */
    backupSchedule: z
      .string()
      .regex(
        SCHEDULE,
        'must be an EventBridge Scheduler cron(m h dom mon dow year) or rate(n unit) expression',
      )
      .default('cron(0 6 * * ? *)'),
    /** The IANA time zone backupSchedule is in (daylight saving time is followed). */
    backupScheduleTimeZone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC')
      .default('UTC'),
    /** Also notify when every check passed (a failed check is always notified). */
    backupSuccessDigest: flag.default(false),

    // ---- Alertmanager webhook (API Gateway HTTP API → intake λ → StartExecution) ----------
    /**
     * Secrets Manager secret (name) holding the bearer token Alertmanager sends
     * (`http_config.authorization.credentials`). Unset: the stack creates one with a random token.
     */
    webhookTokenSecretName: z.string().min(1).optional(),
    /**
     * Rules naming the target of service-level alerts (lambdas/shared/alert-targets.ts), checked
     * before the alert's own labels: `[{"match": {"job": "data-api"}, "target": {"kind":
     * "Deployment", "name": "alldata-api"}}]`. The JSON array, the path of a file holding it, or
     * in cdk.json the array itself. Unset: none.
     */
    alertTargets: alertTargetsDocument.default([]),
    /** Namespace whose evidence an alert without a `namespace` label (node, cluster alerts) collects. */
    webhookDefaultNamespace: z
      .string()
      .regex(DNS_LABEL, 'must be a Kubernetes namespace name')
      .default('kube-system'),
    /** Every execution the webhook starts is a dry run: rehearse on real alerts before going live. */
    webhookDryRun: flag.default(false),
  })
  .superRefine((config, ctx) => {
    if (config.vpcId && !config.subnetIds?.length) {
      ctx.addIssue({ code: 'custom', path: ['subnetIds'], message: 'is required with vpcId' });
    }
    if (!config.vpcId && (config.subnetIds || config.securityGroupIds)) {
      const path = config.subnetIds ? 'subnetIds' : 'securityGroupIds';
      ctx.addIssue({ code: 'custom', path: [path], message: 'needs vpcId' });
    }
    const ledger = config.remediationBudget.ledgerNamespace;
    if (ledger !== undefined && !config.allowedNamespaces.includes(ledger)) {
      ctx.addIssue({
        code: 'custom',
        path: ['remediationBudget', 'ledgerNamespace'],
        message: 'must be one of allowedNamespaces (the functions may write Leases only there)',
      });
    }
    if (config.alertmanagerAuthSecretName && !config.alertmanagerUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['alertmanagerAuthSecretName'],
        message: 'needs alertmanagerUrl',
      });
    }
    if (Boolean(config.clusterEndpoint) !== Boolean(config.clusterCaData)) {
      const path = config.clusterEndpoint ? 'clusterCaData' : 'clusterEndpoint';
      ctx.addIssue({
        code: 'custom',
        path: [path],
        message: 'clusterEndpoint and clusterCaData go together',
      });
    }
  });

export type StackConfig = z.output<typeof configSchema>;

/** The storm brake the guard runs with: the budget, and the ledger's namespace resolved. */
export function stormBrakeOf(config: StackConfig): StormBrake {
  const { ledgerNamespace, ...budget } = config.remediationBudget;
  return { budget, ledgerNamespace: ledgerNamespace ?? config.allowedNamespaces[0] };
}

/** The context keys the configuration reads. */
const CONFIG_KEYS = Object.keys(configSchema.shape) as Array<keyof typeof configSchema.shape>;

/**
 * Reads and validates the configuration from a construct's context (normally the App's).
 * Throws ConfigurationError naming every bad key, e.g.
 * `invalid CDK context: allowedNamespaces: must name at least one namespace (set with -c allowedNamespaces=...)`.
 */
export function loadConfig(node: Node): StackConfig {
  const raw = Object.fromEntries(CONFIG_KEYS.map((key) => [key, node.tryGetContext(key)]));
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '(context)');
    // Within a document value (backupSources), the field inside it too: `backupSources: s3[0].bucket: ...`;
    // an item of a list (allowedNamespaces) is named by the message alone.
    const rest = issue.path.slice(1);
    const inner = rest.some((part) => typeof part === 'string')
      ? rest
          .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`))
          .join('')
      : '';
    const message = raw[key] === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message;
    return `${key}: ${inner ? `${inner}: ` : ''}${message} (set with -c ${key}=...)`;
  });
  throw new ConfigurationError(`invalid CDK context: ${problems.join('; ')}`);
}
