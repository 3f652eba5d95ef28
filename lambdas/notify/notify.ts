import {
  parseExecutionInput,
  targetText,
  type Incident,
  type ApprovalRequested,
  type Notified,
  type StepEvent,
  type WorkflowState,
} from '../shared/contracts';
import { diagnosisLines } from '../shared/decision-text';
import { ConfigurationError } from '../shared/errors';
import { evidenceLink, incidentEvidenceLinks } from '../shared/evidence/links';
import { incidentId, incidentPrefix } from '../shared/evidence/layout';
import type { Notifier } from '../shared/notify/notifier';
import { redactObject } from '../shared/redact';
import { requestApproval, type ApprovalRequestDeps } from './approval-request';
import { quietOpening, type StormQuiet } from './storm-quiet';

export interface NotifyDeps {
  notifier: Notifier;
  bucket: string;
  region: string;
  now: () => Date;
  /**
   * Where approval requests are stored, and the signed links' base URL and secret (stage
   * `approval`); the deployed function and the local engine always have it.
   */
  approvals?: Pick<ApprovalRequestDeps, 'store' | 'links'>;
  /** Open Incident's storm check (storm-quiet.ts); unset: every opening pages. */
  stormQuiet?: StormQuiet;
}

/**
 * Open Incident: validates the execution input, names the incident and tells humans. The
 * input is validated before the dependencies are even built, so bad input fails here having
 * made no request anywhere. The id and times come from the execution, so a retried Open
 * Incident names the same incident.
 */
export async function openIncident(
  event: StepEvent<unknown>,
  deps: () => Promise<NotifyDeps>,
): Promise<Incident> {
  const input = parseExecutionInput(event.state);
  const startedAt = Date.parse(event.execution?.startTime);
  if (Number.isNaN(startedAt)) {
    throw new ConfigurationError('the Lambda event carries no execution.startTime ($$.Execution.StartTime)');
  }
  const { notifier, bucket, region, stormQuiet } = await deps();
  const openedAt = new Date(startedAt).toISOString();
  const id = incidentId(openedAt, input.target, event.execution.id);
  // The alert text ends up in every later state, report and page: credentials in it stop here.
  const alert = redactObject(input.alert);
  const incident: Incident = { ...input, alert, id, openedAt, evidencePrefix: incidentPrefix(openedAt, id) };
  const { options } = incident;
  const quiet = stormQuiet ? await quietOpening(event.execution.id, stormQuiet) : undefined;
  if (quiet) return { ...incident, quietOpening: quiet };
  await notifier.notify({
    stage: 'opened',
    incidentId: id,
    target: incident.target,
    severity: alert.severity,
    outcome: 'investigating',
    title: `Incident opened: ${alert.name} on ${targetText(incident.target)}`,
    details: [
      `Alert: ${alert.name} (${alert.severity}) since ${alert.startsAt}, from ${incident.source}`,
      ...(alert.summary ? [`Summary: ${alert.summary}`] : []),
      incident.target.kind === 'Namespace'
        ? 'The alert names no workload: the namespace is dumped as evidence and a human is paged.'
        : options.dryRun
          ? 'Dry run: the workflow diagnoses and reports; nothing in the cluster will be changed.'
          : `Next: diagnostics, then the remediation they call for if allowed (verified after ${options.waitSeconds} s).`,
    ],
    evidence: [evidenceLink(bucket, region, incident.evidencePrefix, 'Evidence folder')],
  });
  return incident;
}

/** Notify Recovered: the workload is healthy again; says how, and links the evidence. */
export async function notifyRecovered(event: StepEvent, deps: NotifyDeps): Promise<Notified> {
  const state: WorkflowState = event.state;
  const { incident, verification, rollback } = state;
  const how = rollback ? `rollback to revision ${rollback.toRevision}` : 'rollout restart';
  const notified = await deps.notifier.notify({
    stage: 'recovered',
    incidentId: incident.id,
    target: incident.target,
    severity: incident.alert.severity,
    outcome: rollback ? 'recovered-by-rollback' : 'recovered-by-restart',
    title: `Recovered by ${how}: ${targetText(incident.target)}`,
    details: [
      ...(verification ? [`Verified at ${verification.checkedAt}: ${verification.message}`] : []),
      ...(state.approval?.decision === 'approved'
        ? [`Approved by ${state.approval.by} via ${state.approval.via} at ${state.approval.at}.`]
        : []),
      ...diagnosisLines(state.diagnostics),
    ],
    evidence: incidentEvidenceLinks(deps.bucket, deps.region, state),
  });
  return { notifiedAt: deps.now().toISOString(), notified };
}

/**
 * Notify No Action: the workload was healthy when the flow was about to write, so nothing was
 * changed; says what was seen and what the diagnosis had been, so the alert can be judged.
 */
export async function notifyNoAction(event: StepEvent, deps: NotifyDeps): Promise<Notified> {
  const state: WorkflowState = event.state;
  const { incident, health } = state;
  const notified = await deps.notifier.notify({
    stage: 'no-action',
    incidentId: incident.id,
    target: incident.target,
    severity: incident.alert.severity,
    outcome: 'healthy-no-action',
    title: `Healthy at action time; no action: ${targetText(incident.target)}`,
    details: [
      ...(health ? [`Checked at ${health.checkedAt} before the ${health.before}: ${health.detail}`] : []),
      ...(state.restart ? [`Restarted earlier at ${state.restart.restartedAt}.`] : []),
      `Alert: ${incident.alert.name} (${incident.alert.severity}) since ${incident.alert.startsAt}`,
      ...diagnosisLines(state.diagnostics),
    ],
    evidence: incidentEvidenceLinks(deps.bucket, deps.region, state),
  });
  return { notifiedAt: deps.now().toISOString(), notified };
}

/** How many incidents a storm notification lists one by one before it counts the rest. */
const STORM_LISTED = 50;

/**
 * Notify Storm: one message for the storm batch this incident opened, listing every incident
 * the remediation budget refused (what it is, where its evidence is), instead of a page each.
 * An empty batch (another incident took it over) sends nothing.
 */
export async function notifyStorm(event: StepEvent, deps: NotifyDeps): Promise<Notified> {
  const state: WorkflowState = event.state;
  const { incident, storm, guard } = state;
  const entries = storm?.entries ?? [];
  if (entries.length === 0) return { notifiedAt: deps.now().toISOString(), notified: [] };
  const { budget } = storm!;
  const listed = entries.slice(0, STORM_LISTED);
  const notified = await deps.notifier.notify({
    stage: 'storm',
    incidentId: incident.id,
    target: incident.target,
    severity: incident.alert.severity,
    outcome: 'storm-no-action',
    title: `Storm brake: ${entries.length} incident${entries.length === 1 ? '' : 's'} diagnosed, no automatic action`,
    details: [
      ...(guard ? [guard.detail] : []),
      `Budget: ${budget.cluster} remediations per cluster and ${budget.namespace} per namespace within ${budget.windowSeconds / 60} min. Each incident below was diagnosed and its evidence kept; a human decides what to do.`,
      ...listed.map(
        (e) => `${e.incidentId}: ${e.target} (${e.scope} budget) s3://${deps.bucket}/${e.evidencePrefix}`,
      ),
      ...(entries.length > listed.length ? [`... and ${entries.length - listed.length} more`] : []),
    ],
    evidence: listed.map((e) => evidenceLink(deps.bucket, deps.region, e.evidencePrefix, e.incidentId)),
  });
  return { notifiedAt: deps.now().toISOString(), notified };
}

/** The notify λ: `params.stage` says which notification. */
export async function notify(
  event: StepEvent<unknown>,
  deps: () => Promise<NotifyDeps>,
): Promise<Incident | Notified | ApprovalRequested> {
  const stage = event.params?.stage;
  if (stage === 'opened') return openIncident(event, deps);
  if (stage === 'recovered') return notifyRecovered(event as StepEvent, await deps());
  if (stage === 'no-action') return notifyNoAction(event as StepEvent, await deps());
  if (stage === 'storm') return notifyStorm(event as StepEvent, await deps());
  if (stage === 'approval') {
    const { approvals, ...rest } = await deps();
    if (!approvals) throw new ConfigurationError('notify: stage "approval" needs the approval store');
    return requestApproval(event as StepEvent, { ...rest, ...approvals });
  }
  throw new ConfigurationError(
    `notify: unknown stage "${String(stage)}" (expected "opened", "recovered", "no-action", "storm" or "approval")`,
  );
}
