import * as z from 'zod';
import type { Target } from '../contracts';

/**
 * Who decides a remediation: `auto` (the workflow acts), `approve` (a human approves first, from
 * Slack, a signed link or the CLI) or `never` (the workflow escalates instead). Per action, with
 * a default and overrides per namespace and per workload, the most specific winning.
 */
export const APPROVAL_MODES = ['auto', 'approve', 'never'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];
export type PolicyAction = 'restart' | 'rollback';

const modes = z.object({ restart: z.enum(APPROVAL_MODES), rollback: z.enum(APPROVAL_MODES) });
const partialModes = modes.partial().strict();
export type ActionPolicy = z.infer<typeof modes>;

/** `namespace/Kind/name`, as ALLOWED_WORKLOADS spells a workload. */
const WORKLOAD_KEY = /^[a-z0-9-]+\/(Deployment|StatefulSet|DaemonSet)\/[a-z0-9.-]+$/;
const NAMESPACE_KEY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const remediationPolicySchema = z
  .object({
    /** restart `auto`, rollback `approve`: a restart changes no code, a rollback does. */
    default: partialModes.default({}),
    namespaces: z
      .record(z.string().regex(NAMESPACE_KEY, 'keys must be namespace names'), partialModes)
      .default({}),
    workloads: z
      .record(z.string().regex(WORKLOAD_KEY, 'keys must be namespace/Kind/name'), partialModes)
      .default({}),
    /** How long a request waits for its answer before the flow escalates. */
    timeoutSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86400)
      .default(3600),
  })
  .strict();

export type RemediationPolicy = z.output<typeof remediationPolicySchema>;

export const DEFAULT_ACTION_POLICY: ActionPolicy = { restart: 'auto', rollback: 'approve' };

/** The modes for one workload: the workload's entry, else its namespace's, else the default, per action. */
export function policyFor(target: Target, policy: RemediationPolicy): ActionPolicy {
  const workload = policy.workloads[`${target.namespace}/${target.kind}/${target.name}`] ?? {};
  const namespace = policy.namespaces[target.namespace] ?? {};
  return {
    restart: workload.restart ?? namespace.restart ?? policy.default.restart ?? DEFAULT_ACTION_POLICY.restart,
    rollback:
      workload.rollback ?? namespace.rollback ?? policy.default.rollback ?? DEFAULT_ACTION_POLICY.rollback,
  };
}
