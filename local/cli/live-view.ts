import type { WorkflowState } from '../../lambdas/shared/contracts';
import type { EventLog } from '../engine/run-incident';
import { OUTCOME_TEXT, type IncidentSummary } from './incident-summary';
import type { Output } from './output';
import { clip, formatDuration, plural } from './text-format';
import { terminalLine } from '../../lambdas/shared/escape/terminal';

const MARK: Record<IncidentSummary['outcome'], string> = {
  'recovered-by-restart': '✔',
  'recovered-by-rollback': '✔',
  'healthy-no-action': '✔',
  escalated: '!',
  'dry-run': '·',
  'storm-no-action': '·',
  failed: '✖',
};

interface Row {
  label: string;
  state: string;
  note: string;
  /** The error of the last failed attempt, shown with the retry that follows it. */
  lastError?: string;
  /** Wall time of the execution's first event: elapsed time counts from there. */
  startedAt?: number;
  endedAt?: number;
  done?: IncidentSummary;
}

export interface LiveViewOptions {
  out: Output;
  /** One row per incident, in this order. */
  labels: string[];
  /** Workflow seconds per wall second: elapsed time is shown in workflow time. */
  timeScale: number;
  /** @default Date.now */
  wallNow?: () => number;
  /** Redraw period on a terminal, ms. @default 200 */
  refreshMs?: number;
}

/** What a finished Task state tells a person watching, from the state document it produced. */
function noteFor(stateName: string, output: Partial<WorkflowState> | undefined): string | undefined {
  if (!output) return undefined;
  switch (stateName) {
    case 'Open Incident':
      return output.incident ? `incident ${output.incident.id}` : undefined;
    case 'Quick Diagnostics': {
      const d = output.diagnostics;
      if (!d) return undefined;
      const w = d.workload;
      const cause = d.probableCause ? `probable cause: ${d.probableCause.cause}` : 'no probable cause found';
      return `${w.readyReplicas}/${w.replicas} ready, revision ${w.revision}; ${cause}`;
    }
    case 'Collect Events':
      return output.events
        ? `${plural(output.events.count, 'event')}, ${plural(output.events.warnings, 'warning')}`
        : undefined;
    case 'Guard':
      return output.guard
        ? output.guard.allowed
          ? 'lock acquired'
          : `not allowed: ${output.guard.detail}`
        : undefined;
    case 'Restart':
      return output.restart
        ? `rollout restart (revision ${output.restart.revisionBefore} was running)`
        : undefined;
    case 'Verify':
      return output.verification
        ? `${output.verification.outcome}: ${output.verification.message}`
        : undefined;
    case 'Rollback': {
      const r = output.rollback;
      if (!r) return undefined;
      return r.skipped
        ? `rollout undo skipped: already at revision ${r.toRevision}`
        : `rollout undo: revision ${r.fromRevision} → ${r.toRevision}`;
    }
    case 'Escalate':
      return output.escalation ? `paged a human: ${output.escalation.why}` : undefined;
    case 'Cluster Dump':
      return output.dump ? `cluster dump: ${output.dump.objects} objects` : undefined;
    case 'Report':
      return output.report ? `report written: ${OUTCOME_TEXT[output.report.outcome]}` : undefined;
    default:
      return undefined;
  }
}

/**
 * Each incident's current state and elapsed time while the executions run. On a terminal the
 * rows are redrawn in place; otherwise (a pipe, a CI log) each change is one line, prefixed
 * with the elapsed workflow time.
 */
export class LiveView {
  private readonly rows = new Map<string, Row>();
  private readonly width: number;
  private readonly wallNow: () => number;
  private drawnLines = 0;
  private timer?: NodeJS.Timeout;
  private started = false;
  /** Lines of events that came before start(): the caller may still be writing its own. */
  private readonly pending: string[] = [];

  constructor(private readonly options: LiveViewOptions) {
    this.wallNow = options.wallNow ?? Date.now;
    this.width = Math.max(
      8,
      options.labels.reduce((max, label) => Math.max(max, label.length), 0),
    );
    for (const label of options.labels) this.rows.set(label, { label, state: 'starting', note: '' });
  }

  private get tty(): boolean {
    return this.options.out.isTTY === true;
  }

  /** Starts showing: what happened before is shown now (executions may start before the view). */
  start(): void {
    this.started = true;
    if (!this.tty) {
      for (const line of this.pending.splice(0)) this.options.out.write(line);
      return;
    }
    this.redraw();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.redraw(), this.options.refreshMs ?? 200);
  }

  /** Feeds one event of an execution's log (runIncident's onEvent). */
  onEvent(label: string, event: EventLog): void {
    const row = this.rows.get(label);
    if (!row || row.done) return;
    row.startedAt ??= this.wallNow();
    switch (event.type) {
      case 'StateEntered':
        row.state = event.state.name;
        // Choices and the Parallel are structure: the Tasks they lead to get the lines.
        if (event.state.type !== 'Choice' && event.state.type !== 'Parallel')
          this.line(row, event.state.name);
        break;
      case 'StateExited': {
        const note = noteFor(event.state.name, event.state.output as Partial<WorkflowState> | undefined);
        if (note) {
          row.note = note;
          this.line(row, `  ${note}`);
        }
        break;
      }
      case 'StateFailed':
        row.lastError = event.Error;
        break;
      case 'StateRetried':
        row.note = `retry ${event.retry.attempt} after ${row.lastError ?? 'an error'}`;
        this.line(row, `  ${event.state.name}: ${row.note}`);
        break;
      case 'StateCaught':
        row.note = `${event.state.name} failed (${row.lastError ?? 'error'}), caught`;
        this.line(row, `  ${row.note}`);
        break;
      default:
        break;
    }
  }

  /** Marks an incident finished with its outcome. */
  finish(label: string, summary: IncidentSummary): void {
    const row = this.rows.get(label);
    if (!row) return;
    row.done = summary;
    row.endedAt = this.wallNow();
    this.line(row, `done: ${OUTCOME_TEXT[summary.outcome]}`);
  }

  /** Stops redrawing, leaving the final state on screen. */
  stop(): void {
    if (!this.started) this.start();
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.redraw();
  }

  private elapsed(row: Row): string {
    if (row.startedAt === undefined) return formatDuration(0);
    const wallMs = (row.endedAt ?? this.wallNow()) - row.startedAt;
    return formatDuration((wallMs / 1000) * this.options.timeScale);
  }

  /** A line of the plain log; a terminal shows the same thing in the row instead. */
  private line(row: Row, text: string): void {
    if (this.tty) return;
    // Notes carry cluster messages, alert text and errors: one line, nothing that drives a terminal.
    const indent = /^ */.exec(text)![0];
    const line = `${this.elapsed(row).padStart(6)}  ${terminalLine(row.label).padEnd(this.width)}  ${indent}${terminalLine(text)}\n`;
    if (this.started) this.options.out.write(line);
    else this.pending.push(line);
  }

  private render(row: Row): string {
    const state = row.done ? `${MARK[row.done.outcome]} ${OUTCOME_TEXT[row.done.outcome]}` : row.state;
    const text = `  ${terminalLine(row.label).padEnd(this.width)}  ${terminalLine(state).padEnd(24)}  ${this.elapsed(row).padStart(6)}  ${terminalLine(row.note)}`;
    return clip(text, Math.max(20, (this.options.out.columns ?? 120) - 1));
  }

  private redraw(): void {
    const lines = [...this.rows.values()].map((row) => this.render(row));
    const up = this.drawnLines ? `\x1b[${this.drawnLines}A` : '';
    this.options.out.write(up + lines.map((line) => `\r\x1b[2K${line}\n`).join(''));
    this.drawnLines = lines.length;
  }
}
