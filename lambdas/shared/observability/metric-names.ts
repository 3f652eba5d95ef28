/**
 * The workflow's CloudWatch metrics, shared by the functions that emit them (EMF, through
 * Powertools Metrics) and the dashboard that reads them (lib/constructs/incident-dashboard.ts).
 *
 * Every metric also has Powertools' `service` dimension, the stack's name (function-defaults.ts
 * sets POWERTOOLS_SERVICE_NAME), so two deployments in one account and region stay apart.
 * Dimensions are low-cardinality on purpose: each has a handful of values fixed by the code or
 * the rules file, never a pod, a workload, an incident id or a namespace (CloudWatch bills
 * each distinct combination as a metric of its own; those belong in the logs).
 */
export const METRICS_NAMESPACE = 'EksIncidentResponse';

/** The service name when POWERTOOLS_SERVICE_NAME is not set (local runs, tests). */
export const DEFAULT_SERVICE_NAME = 'eks-incident-response';

/** The `service` of log entries and metrics: the stack's name on Lambda. */
export function serviceName(): string {
  return process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME;
}

export const METRIC = {
  /** Count, per finished incident (Report): dimensions {Outcome} and {Source, Outcome}. */
  incidents: 'Incidents',
  /** Count, per finished incident (Report): one per remediation taken, {Action}: restart, rollback or none. */
  remediationActions: 'RemediationActions',
  /** Seconds from the incident's opening to its Report, for incidents that recovered: {} and {Outcome}. */
  timeToRecover: 'TimeToRecover',
  /** Count, per Quick Diagnostics: one per hypothesis the rules produced, {Rule}. */
  diagnosisRuleHits: 'DiagnosisRuleHits',
  /** Count, per Quick Diagnostics: the best-ranked hypothesis's rule ({Rule}), `(none)` when no rule matched. */
  topCause: 'TopCause',
} as const;

export const DIMENSION = {
  outcome: 'Outcome',
  source: 'Source',
  action: 'Action',
  rule: 'Rule',
} as const;

/** The `Rule` of TopCause when no rule matched: parentheses keep it apart from any rule id. */
export const NO_RULE = '(none)';

/** The values of `Action`. */
export const ACTIONS = ['restart', 'rollback', 'none'] as const;
