import type {
  CaughtError,
  ExecutionInput,
  IncidentTarget,
  ReportResult,
  WorkflowState,
} from '../../lambdas/shared/contracts';
import { targetText } from '../../lambdas/shared/contracts';
import type { IncidentRun } from '../engine/run-incident';
import { formatDuration, formatWall, table } from './text-format';
import { terminalLine } from '../../lambdas/shared/escape/terminal';

/** How an execution ended: the report's outcome, or `failed` when it ended without a report. */
export type Outcome = ReportResult['outcome'] | 'failed';

export const OUTCOME_TEXT: Record<Outcome, string> = {
  'recovered-by-restart': 'recovered by restart',
  'recovered-by-rollback': 'recovered by rollback',
  'healthy-no-action': 'healthy at action time; no action',
  escalated: 'escalated',
  'dry-run': 'dry run (nothing changed)',
  'storm-no-action': 'storm brake: diagnosed, no action',
  failed: 'workflow failed',
};

/** Where evidence objects are, for people: an s3:// URI, and the file for the local store. */
export interface EvidenceLocator {
  /** `local store .data/s3 (bucket eks-incident-evidence)`, `s3://my-bucket (eu-west-1)` */
  description: string;
  uri(key: string): string;
  /** The file (or folder, for a prefix) that holds the object, when the store is local. */
  localPath?(key: string): string;
}

export interface EvidenceSummary {
  /** The incident's prefix: the diagnostic bundle (diagnostics, logs, events, manifest). */
  bundle: string;
  report?: string;
  reportJson?: string;
  clusterDump?: string;
  /** The same places as files, for the local store. */
  files?: { bundle: string; report?: string; clusterDump?: string };
}

export interface IncidentSummary {
  /** What the live view called it (the workload's name). */
  label: string;
  incidentId?: string;
  target: IncidentTarget;
  alert: { name: string; severity: string };
  outcome: Outcome;
  /** What the flow did to the cluster and for people, in order. */
  actions: string[];
  /** Workflow time from start to end (scaled time, when the demo scales it). */
  durationSeconds: number;
  wallSeconds: number;
  execution: { name: string; arn: string; status: IncidentRun['status'] };
  /** What failed: the error a Catch caught, or the execution's own failure without a report. */
  error?: CaughtError;
  evidence?: EvidenceSummary;
  /** The answer to the flow's approval request, in words (who, how, when), when it asked one. */
  approval?: string;
}

/**
 * The last state document of an execution: its output when it succeeded, otherwise the input of
 * the last state it entered (a Fail state has no output, and `Escalated` is one).
 */
export function finalState(run: IncidentRun): WorkflowState | undefined {
  if (run.output) return run.output as WorkflowState;
  const entered = run.events.filter((e) => e.type === 'StateEntered');
  const last = entered.at(-1) as { state: { input: unknown } } | undefined;
  const state = last?.state.input as Partial<WorkflowState> | undefined;
  return state?.incident ? (state as WorkflowState) : undefined;
}

function actionsOf(state: WorkflowState | undefined): string[] {
  if (!state) return [];
  const actions: string[] = [];
  if (state.restart) actions.push('rollout restart');
  if (state.rollback) {
    actions.push(
      state.rollback.skipped
        ? `rollout undo skipped (already at revision ${state.rollback.toRevision})`
        : `rollout undo to revision ${state.rollback.toRevision}`,
    );
  }
  if (state.escalation) actions.push('paged a human');
  if (state.dump) actions.push('cluster dump');
  return actions;
}

export interface RunTiming {
  /** Workflow time, ms. */
  startedAt: number;
  endedAt: number;
  wallMs: number;
}

export function summarize(
  label: string,
  input: ExecutionInput,
  run: IncidentRun,
  timing: RunTiming,
  locator: EvidenceLocator,
): IncidentSummary {
  const state = finalState(run);
  const outcome: Outcome = state?.report?.outcome ?? 'failed';
  const error =
    state?.error ??
    (outcome === 'failed' && run.error
      ? { Error: run.error.Error, Cause: String(run.error.Cause) }
      : undefined);
  return {
    label,
    ...(state ? { incidentId: state.incident.id } : {}),
    target: input.target,
    alert: { name: input.alert.name, severity: input.alert.severity },
    outcome,
    actions: actionsOf(state),
    durationSeconds: (timing.endedAt - timing.startedAt) / 1000,
    wallSeconds: timing.wallMs / 1000,
    execution: { name: run.executionName, arn: run.executionArn, status: run.status },
    ...(error ? { error } : {}),
    ...(state ? { evidence: evidenceOf(state, locator) } : {}),
    ...(state?.approval ? { approval: approvalLine(state.approval) } : {}),
  };
}

function approvalLine(approval: NonNullable<WorkflowState['approval']>): string {
  return approval.decision === 'timeout'
    ? `${approval.action} not answered before the timeout`
    : `${approval.action} ${approval.decision} by ${approval.by} at ${approval.at}`;
}

function evidenceOf(state: WorkflowState, locator: EvidenceLocator): EvidenceSummary {
  const prefix = state.incident.evidencePrefix;
  const report = state.report?.markdown;
  const dump = state.dump?.prefix;
  const local = locator.localPath;
  return {
    bundle: locator.uri(prefix),
    ...(report ? { report: locator.uri(report) } : {}),
    ...(state.report ? { reportJson: locator.uri(state.report.json) } : {}),
    ...(dump ? { clusterDump: locator.uri(dump) } : {}),
    ...(local
      ? {
          files: {
            bundle: local(prefix),
            ...(report ? { report: local(report) } : {}),
            ...(dump ? { clusterDump: local(dump) } : {}),
          },
        }
      : {}),
  };
}

/** Actions as the summary table shows them, short enough for one row. */
function shortAction(action: string): string {
  return action
    .replace(/^rollout restart$/, 'restart')
    .replace(/^rollout undo to revision (\d+)$/, 'undo to r$1')
    .replace(/^rollout undo skipped.*$/, 'undo skipped')
    .replace(/^paged a human$/, 'paged')
    .replace(/^cluster dump$/, 'dump');
}

/** The table at the end of a run: one row per incident. */
export function summaryTable(summaries: IncidentSummary[], timeScale: number): string {
  const rows = summaries.map((s) => [
    s.incidentId ?? `(${s.label}: not opened)`,
    targetText(s.target),
    OUTCOME_TEXT[s.outcome],
    s.actions.map(shortAction).join(', ') || 'none',
    timeScale === 1
      ? formatDuration(s.durationSeconds)
      : `${formatDuration(s.durationSeconds)} (${formatWall(s.wallSeconds)})`,
  ]);
  const duration = timeScale === 1 ? 'DURATION' : 'DURATION (WALL)';
  return table(['INCIDENT', 'TARGET', 'OUTCOME', 'ACTIONS', duration], rows);
}

/** Where each incident's report, bundle and cluster dump are, and how to read them. */
export function evidenceSection(
  summaries: IncidentSummary[],
  locator: EvidenceLocator,
  readHint: string,
): string {
  const lines = [`Evidence (${locator.description}):`];
  for (const s of summaries) {
    if (!s.evidence || !s.incidentId) {
      lines.push(
        `  ${terminalLine(s.label)}: no incident was opened${s.error ? ` (${terminalLine(s.error.Error)})` : ''}`,
      );
      continue;
    }
    const e = s.evidence;
    lines.push(`  ${s.incidentId}`);
    lines.push(`    bundle   ${e.bundle}`);
    if (e.files) lines.push(`             ${e.files.bundle}`);
    if (e.report) {
      lines.push(`    report   ${e.report}`);
      if (e.files?.report) lines.push(`             ${e.files.report}`);
      lines.push(`             ${readHint} ${s.incidentId}`);
    }
    if (e.clusterDump) {
      lines.push(`    dump     ${e.clusterDump}`);
      if (e.files?.clusterDump) lines.push(`             ${e.files.clusterDump}`);
    }
    if (s.error)
      lines.push(
        `    error    ${terminalLine(s.error.Error)}${s.error.Cause ? `: ${terminalLine(firstLine(s.error.Cause))}` : ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function firstLine(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) return parsed.errorMessage;
  } catch {
    // Not JSON: the cause is already the message.
  }
  return cause.split('\n')[0];
}
