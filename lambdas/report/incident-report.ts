import type { ResolvedAlertRecord } from '../shared/alertmanager';
import type { SilenceRecord } from '../shared/alertmanager-silences';
import type {
  ApprovalOutcome,
  CaughtError,
  ClusterDump,
  DependencyWait,
  Escalation,
  HealthCheck,
  Hypothesis,
  Incident,
  ProbableCause,
  RemediationDecision,
  ReportResult,
  StormRoster,
  Verification,
  WorkflowState,
} from '../shared/contracts';
import type { EvidenceObject } from '../shared/evidence/evidence-store';
import { outcomeOf } from '../shared/outcome';

/** One step of the execution as the report tells it. */
export interface TimelineEntry {
  step: string;
  /** When it happened, for steps that record a time. */
  at?: string;
  status: 'ok' | 'failed' | 'skipped';
  summary: string;
}

/** report.json: the post-incident record, from the execution's state document. */
export interface IncidentReport {
  incidentId: string;
  outcome: ReportResult['outcome'];
  openedAt: string;
  reportedAt: string;
  source: Incident['source'];
  dryRun: boolean;
  target: Incident['target'];
  alert: Pick<Incident['alert'], 'name' | 'severity' | 'summary' | 'startsAt'>;
  timeline: TimelineEntry[];
  actions: Array<{ action: 'rollout restart' | 'rollout undo'; at: string; detail: string }>;
  verification: Verification['history'];
  probableCause?: ProbableCause;
  /** What the diagnosis called for and why: the report says why the flow acted or did not. */
  decision?: RemediationDecision;
  /** The ranked hypotheses, best first. */
  hypotheses: Hypothesis[];
  /** The last health read before a write ("healthy at action time; no action" when healthy). */
  health?: HealthCheck;
  /** The wait for a dependency Service, when the diagnosis called for one. */
  dependencyWait?: DependencyWait;
  escalation?: Escalation;
  /** The human answer to the approval request (who, how, when), or its timeout. */
  approval?: ApprovalOutcome;
  /** The Alertmanager silence of the incident's alerts during the remediation, or why there was none. */
  silence?: SilenceRecord;
  /** The storm batch this incident's notification listed, when it opened one. */
  storm?: StormRoster;
  error?: CaughtError;
  clusterDump?: ClusterDump;
  /** Alerts Alertmanager reported resolved while the incident ran (recorded by the webhook intake). */
  resolvedAlerts: Array<
    Pick<ResolvedAlertRecord, 'alertname' | 'fingerprint' | 'startsAt' | 'endsAt' | 'recordedAt'>
  >;
  /** The evidence as the manifest listed it when the report was written. */
  evidence: EvidenceObject[];
}

function verifyEntries(history: Verification['history'], phase: 'restart' | 'rollback'): TimelineEntry[] {
  return history
    .filter((check) => check.phase === phase)
    .map((check) => ({
      step: `Verify (${phase})`,
      at: check.checkedAt,
      status: check.outcome === 'failed' ? ('failed' as const) : ('ok' as const),
      summary: `${check.outcome}: ${check.message}`,
    }));
}

function timeline(
  state: WorkflowState,
  reportedAt: string,
  resolved: ResolvedAlertRecord[],
): TimelineEntry[] {
  const { incident, diagnostics, events, guard, restart, rollback, notified, escalation, dump, error } =
    state;
  const { dependencyWait, health } = state;
  const history = state.verification?.history ?? [];
  const entries: TimelineEntry[] = [
    {
      step: 'Open Incident',
      at: incident.openedAt,
      status: 'ok',
      summary: `${incident.alert.name} (${incident.alert.severity}) from ${incident.source}${incident.options.dryRun ? ', dry run' : ''}`,
    },
  ];
  if (diagnostics) {
    const w = diagnostics.workload;
    entries.push({
      step: 'Quick Diagnostics',
      status: 'ok',
      summary: `${w.readyReplicas}/${w.replicas} ready at revision ${w.revision}; probable cause: ${diagnostics.hypotheses?.[0]?.ruleId ?? diagnostics.probableCause?.ruleId ?? 'none found'}${diagnostics.remediation ? `; calls for: ${diagnostics.remediation.action}` : ''}`,
    });
  }
  if (events) {
    entries.push({
      step: 'Collect Events',
      status: 'ok',
      summary: `${events.count} events, ${events.warnings} warnings`,
    });
  }
  if (guard) {
    entries.push({
      step: 'Guard',
      status: guard.allowed ? 'ok' : 'skipped',
      summary: guard.allowed ? guard.detail : `not allowed (${guard.reason}): ${guard.detail}`,
    });
  }
  if (state.approval) {
    const { approval } = state;
    entries.push({
      step: 'Request Approval',
      at: approval.at ?? approval.requestedAt,
      status: approval.decision === 'approved' ? 'ok' : 'skipped',
      summary:
        approval.decision === 'timeout'
          ? `${approval.action}: no answer before the timeout`
          : `${approval.action} ${approval.decision} by ${approval.by} via ${approval.via} at ${approval.at}`,
    });
  }
  if (dependencyWait) {
    entries.push({
      step: 'Check Dependency',
      at: dependencyWait.checkedAt,
      status: dependencyWait.outcome === 'failed' ? 'failed' : 'ok',
      summary: `${dependencyWait.outcome} after ${dependencyWait.checks} checks: ${dependencyWait.message}`,
    });
  }
  // $.health keeps the last read before a write: the restart's, or the rollback's that followed.
  const healthEntry = (before: HealthCheck['before']): TimelineEntry[] =>
    health?.before === before
      ? [
          {
            step: `Health Before ${before === 'restart' ? 'Restart' : 'Rollback'}`,
            at: health.checkedAt,
            status: health.healthy ? 'skipped' : 'ok',
            summary: health.detail,
          },
        ]
      : [];
  entries.push(...healthEntry('restart'));
  if (restart) {
    entries.push({
      step: 'Restart',
      at: restart.restartedAt,
      status: 'ok',
      summary: `rollout restart; revision ${restart.revisionBefore} was running`,
    });
  }
  entries.push(...verifyEntries(history, 'restart'));
  entries.push(...healthEntry('rollback'));
  if (rollback) {
    entries.push({
      step: 'Rollback',
      at: rollback.rolledBackAt,
      status: 'ok',
      summary: rollback.skipped
        ? `skipped: the template already matched revision ${rollback.toRevision}`
        : `rollout undo from revision ${rollback.fromRevision} to ${rollback.toRevision}`,
    });
  }
  entries.push(...verifyEntries(history, 'rollback'));
  if (notified) {
    entries.push({
      step: health?.healthy ? 'Notify No Action' : 'Notify Recovered',
      at: notified.notifiedAt,
      status: 'ok',
      summary: `sent via ${notified.notified.join(', ')}`,
    });
  }
  if (error) entries.push({ step: 'Error caught', status: 'failed', summary: error.Error });
  if (escalation) {
    entries.push({ step: 'Escalate', at: escalation.escalatedAt, status: 'ok', summary: escalation.why });
  }
  if (dump) {
    entries.push({
      step: 'Cluster Dump',
      status: 'ok',
      summary: `${dump.objects} objects, ${dump.bytes} bytes${dump.truncated ? ', truncated at the size cap' : ''}`,
    });
  }
  for (const alert of resolved) {
    entries.push({
      step: 'Alert resolved',
      at: alert.endsAt,
      status: 'ok',
      summary: `Alertmanager reported ${alert.alertname} (${alert.fingerprint}) resolved`,
    });
  }
  entries.push({ step: 'Report', at: reportedAt, status: 'ok', summary: `outcome: ${outcomeOf(state)}` });
  return entries;
}

export function buildReport(
  state: WorkflowState,
  reportedAt: string,
  evidence: EvidenceObject[],
  resolved: ResolvedAlertRecord[] = [],
): IncidentReport {
  const { incident, restart, rollback } = state;
  const actions: IncidentReport['actions'] = [];
  if (restart) {
    actions.push({
      action: 'rollout restart',
      at: restart.restartedAt,
      detail: `kubectl.kubernetes.io/restartedAt=${restart.restartedAt}; generation ${restart.generation}`,
    });
  }
  if (rollback) {
    actions.push({
      action: 'rollout undo',
      at: rollback.rolledBackAt,
      detail: rollback.skipped
        ? `skipped rollback (current template already matches revision ${rollback.toRevision})`
        : `from revision ${rollback.fromRevision} to revision ${rollback.toRevision}`,
    });
  }
  return {
    incidentId: incident.id,
    outcome: outcomeOf(state),
    openedAt: incident.openedAt,
    reportedAt,
    source: incident.source,
    dryRun: incident.options.dryRun,
    target: incident.target,
    alert: {
      name: incident.alert.name,
      severity: incident.alert.severity,
      summary: incident.alert.summary,
      startsAt: incident.alert.startsAt,
    },
    timeline: timeline(state, reportedAt, resolved),
    actions,
    verification: state.verification?.history ?? [],
    ...(state.diagnostics?.probableCause ? { probableCause: state.diagnostics.probableCause } : {}),
    ...(state.diagnostics?.remediation ? { decision: state.diagnostics.remediation } : {}),
    hypotheses: state.diagnostics?.hypotheses ?? [],
    ...(state.health ? { health: state.health } : {}),
    ...(state.dependencyWait ? { dependencyWait: state.dependencyWait } : {}),
    ...(state.escalation ? { escalation: state.escalation } : {}),
    ...(state.approval ? { approval: state.approval } : {}),
    ...(state.guard?.silence ? { silence: state.guard.silence } : {}),
    ...(state.storm ? { storm: state.storm } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(state.dump ? { clusterDump: state.dump } : {}),
    resolvedAlerts: resolved.map(({ alertname, fingerprint, startsAt, endsAt, recordedAt }) => ({
      alertname,
      fingerprint,
      startsAt,
      endsAt,
      recordedAt,
    })),
    evidence,
  };
}
