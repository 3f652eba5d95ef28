import * as z from 'zod';
import { namespaceTargetSchema, targetSchema, WORKLOAD_KINDS } from './contracts';

/**
 * The configured rules that name the target of service-level alerts, whose labels say which
 * service failed but not which workload runs it (`job="data-api"`). Configured with CDK context
 * `alertTargets` (lib/config.ts), handed to the intake as the `ALERT_TARGETS` variable, and
 * applied by lambdas/intake/targets.ts before the alert's own labels.
 */

/** Prometheus label names. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const ruleTargetSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.enum(WORKLOAD_KINDS),
      name: targetSchema.shape.name,
      /** Unset: the alert's own `namespace` label. */
      namespace: targetSchema.shape.namespace.optional(),
    })
    .strict(),
  namespaceTargetSchema.strict(),
]);

export const alertTargetRuleSchema = z
  .object({
    /** Every one of these labels must have exactly this value. */
    match: z
      .record(z.string().regex(LABEL_NAME, 'must be Prometheus label names'), z.string())
      .refine((labels) => Object.keys(labels).length > 0, 'must name at least one label'),
    target: ruleTargetSchema,
  })
  .strict();
export type AlertTargetRule = z.infer<typeof alertTargetRuleSchema>;

export const alertTargetRulesSchema = z.array(alertTargetRuleSchema);
