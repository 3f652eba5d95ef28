import { z } from 'zod';
import { ConfigurationError } from './errors';

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
});

export const diagnoseEnv = kubeEnv.merge(evidenceEnv).extend({
  LOG_TAIL_LINES: positiveInt,
  LOG_LIMIT_BYTES: positiveInt,
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
});

export const reportEnv = evidenceEnv;

/** The environment record CDK must pass for a schema (all values are strings). */
export type EnvOf<S extends z.ZodObject> = { [K in keyof z.input<S>]: z.input<S>[K] };

/** Parses `process.env` (or any record) with a schema; ConfigurationError names every bad variable. */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ConfigurationError(`invalid function environment: ${problems}`);
}
