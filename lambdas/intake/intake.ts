import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import {
  parseAlertmanagerPayload,
  InvalidPayloadError,
  type AlertmanagerAlert,
  type AlertmanagerPayload,
  type ResolvedAlertRecord,
} from '../shared/alertmanager';
import { mapLimited } from '../shared/concurrency';
import {
  parseExecutionInput,
  targetText,
  SEVERITIES,
  type ExecutionInput,
  type IncidentTarget,
  type optionsSchema,
} from '../shared/contracts';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { evidenceKeys, incidentId, incidentPrefix } from '../shared/evidence/layout';
import type { Logger } from '../shared/observability/logger';
import { redactObject } from '../shared/redact';
import { EvidenceAlertIndex, type AlertIndex, type IndexedAlert } from './alert-index';
import { PayloadTooLargeError, UnauthorizedError } from './errors';
import type { ExecutionRecord, ExecutionStarter } from './execution-starter';
import { latestExecution, successorName } from './successor';
import { assertTargetLabels, resolveTarget, type ResolveOptions } from './targets';

/**
 * The Alertmanager webhook intake: one delivery (a notification of one alert group) in, one
 * IncidentResponse execution per affected workload started, resolved alerts recorded in the
 * incidents they belong to.
 *
 * Exactly once. An execution is named after the alert group's key and the fingerprint and start
 * of the alert that opened it (the earliest firing alert of its workload), so Alertmanager's
 * repeats, its retries after a 5xx and the second member of an HA pair all name the same
 * execution, which Step Functions (and the local engine) start only once. Every alert of the
 * workload in the delivery is then indexed to that execution, so a later delivery finds it
 * even when the opening alert is gone (resolved, its pod replaced) while others still fire.
 *
 * Nothing half-way. The whole payload is validated and every target resolved (reads only)
 * before the first write, and every write (StartExecution by name, index entries and resolved
 * records by key) is idempotent: a delivery that fails part-way answers 503, and its retry
 * completes exactly what it began.
 */

/** The route Alertmanager's `webhook_configs.url` points at (API Gateway and `eks-incident serve`). */
export const WEBHOOK_PATH = '/alertmanager';

/** Alertmanager sends one group per request; 1 MiB holds about a thousand alerts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Parallel requests (Kubernetes lookups, S3, StartExecution) for one delivery. */
const CONCURRENCY = 8;

/** Values of one label or annotation kept in the execution input (Step Functions caps the input at 256 KB). */
const VALUE_MAX = 4096;

/** Execution names: at most 80 characters; these are safe in ARNs, logs and the console. */
const NAME_MAX = 80;
const HASH_LENGTH = 20;

export type ExecutionOptions = z.input<typeof optionsSchema>;

export interface IntakeDeps {
  /** The bearer token Alertmanager must send (Secrets Manager on AWS). */
  token: () => Promise<string>;
  starter: ExecutionStarter;
  /** The incidents' evidence: where resolved alerts are recorded. */
  evidence: EvidenceStore;
  /**
   * The alert → execution index. `eks-incident serve` shares one among its concurrent
   * deliveries (local/webhook/group-commit-alert-index.ts).
   * @default one object per entry in `evidence` (EvidenceAlertIndex)
   */
  alertIndex?: AlertIndex;
  resolve: ResolveOptions;
  /** Options every started execution gets (e.g. `{ dryRun: true }` to rehearse); the schema's defaults otherwise. */
  options?: ExecutionOptions;
  now: () => Date;
  log: Logger;
}

/** One webhook request, as the HTTP adapters hand it over. */
export interface Delivery {
  /** The `Authorization` header. */
  authorization: string | undefined;
  body: Buffer;
}

export interface IntakeResult {
  receiver: string;
  groupKey: string;
  status: AlertmanagerPayload['status'];
  /** One per workload (or namespace) with a firing alert; `started: false` when it already ran (a repeat). */
  executions: Array<{ name: string; target: string; via: string; started: boolean; alerts: number }>;
  resolved: Array<{ alertname: string; fingerprint: string; recordedIn?: string; evidence?: string }>;
  /** Alerts Alertmanager left out of this delivery (`max_alerts`). */
  truncatedAlerts: number;
}

/** Throws UnauthorizedError unless `header` is `Bearer <token>`; compares digests in constant time. */
export function authorize(header: string | undefined, token: string): void {
  const presented = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
  if (presented === undefined) throw new UnauthorizedError('no bearer token');
  // Equal-length digests: timingSafeEqual needs equal lengths, and the token's length stays secret too.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (!timingSafeEqual(digest(presented), digest(token))) throw new UnauthorizedError('wrong bearer token');
}

/** Throws PayloadTooLargeError past MAX_BODY_BYTES (the adapters also stop reading there). */
export function assertBodySize(bytes: number): void {
  if (bytes > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
}

/**
 * An RFC 3339 time in one spelling: UTC, fraction without trailing zeros. HA peers may
 * marshal the same instant with different offsets.
 */
export function canonicalTime(time: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.exec(time);
  if (!match) return time;
  const seconds = new Date(Date.parse(`${match[1]}${match[3]}`)).toISOString().slice(0, 19);
  const fraction = (match[2] ?? '').replace(/\.?0+$/, '');
  return `${seconds}${fraction}Z`;
}

/** The identity of one firing of one alert in one group: the same in every delivery of it. */
export function alertHash(groupKey: string, alert: AlertmanagerAlert): string {
  return createHash('sha256')
    .update(`${groupKey}\n${alert.fingerprint}\n${canonicalTime(alert.startsAt)}`)
    .digest('hex');
}

/**
 * `am-<alertname>-<namespace>-<hash>`: readable in the console, and a pure function of the
 * group key and the alert's fingerprint (its label set) and start, so every delivery of the
 * same firing names the same execution, and a new firing after resolution a new one.
 */
export function executionName(groupKey: string, alert: AlertmanagerAlert): string {
  const hash = alertHash(groupKey, alert).slice(0, HASH_LENGTH);
  const readable = [alert.labels.alertname, alert.labels.namespace]
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, NAME_MAX - HASH_LENGTH - 4)
    .replace(/-+$/, '');
  return readable ? `am-${readable}-${hash}` : `am-${hash}`;
}

/** PENDING_REDRIVE: Step Functions is about to run it again. */
function isRunning(execution: ExecutionRecord | undefined): boolean {
  return execution?.status === 'RUNNING' || execution?.status === 'PENDING_REDRIVE';
}

/**
 * How long after an execution SUCCEEDED (recovered, no action needed, or a dry run) a re-send of
 * its alerts is still a repeat of what it already told people: Alertmanager re-sends a group every
 * `group_interval` (5 min by default) while any alert of it fires, and the alert's own `for` and
 * the metric's lag keep it firing for minutes after a recovery.
 */
export const REPEAT_QUIET_SECONDS = 600;

/**
 * Whether a firing alert indexed to this execution needs a successor: the execution is gone
 * (unknown, died, failed, timed out, aborted), or it succeeded longer ago than the quiet window.
 */
function needsSuccessor(execution: ExecutionRecord | undefined, now: Date): boolean {
  if (!execution) return true;
  if (isRunning(execution)) return false;
  if (execution.status !== 'SUCCEEDED' || !execution.stopTime) return true;
  return now.getTime() - Date.parse(execution.stopTime) >= REPEAT_QUIET_SECONDS * 1000;
}

type Severity = (typeof SEVERITIES)[number];

/** Severity labels seen in the wild, mapped onto the workflow's four; anything else is a warning. */
const SEVERITY_OF: Record<string, Severity> = {
  critical: 'critical',
  page: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  warning: 'warning',
  warn: 'warning',
  minor: 'warning',
  info: 'info',
  informational: 'info',
  low: 'info',
  none: 'info',
};

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function capped(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, truncate(v, VALUE_MAX)]));
}

/** The execution input of design §4 for one alert and its target. */
export function executionInput(
  payload: AlertmanagerPayload,
  alert: AlertmanagerAlert,
  target: IncidentTarget,
  options: ExecutionOptions = {},
): ExecutionInput {
  const { labels, annotations } = alert;
  return parseExecutionInput({
    source: 'alertmanager',
    target,
    // The execution input is kept by Step Functions and shown in its console: alert text is
    // redacted before it gets there, as everything later made of it is.
    alert: redactObject({
      name: truncate(labels.alertname || 'UnnamedAlert', 256),
      severity: SEVERITY_OF[(labels.severity ?? '').toLowerCase()] ?? 'warning',
      summary: truncate(annotations.summary ?? annotations.description ?? annotations.message ?? '', 4096),
      labels: capped(labels),
      annotations: capped(annotations),
      startsAt: alert.startsAt,
    }),
    options,
    correlation: { groupKey: payload.groupKey, fingerprint: alert.fingerprint },
  });
}

const byStart = (a: AlertmanagerAlert, b: AlertmanagerAlert): number =>
  Date.parse(a.startsAt) - Date.parse(b.startsAt) || a.fingerprint.localeCompare(b.fingerprint);

interface TargetGroup {
  target: IncidentTarget;
  via: string;
  alerts: AlertmanagerAlert[];
}

/** The alerts of a delivery grouped by the workload (or namespace) each resolves to. */
async function groupByTarget(payload: AlertmanagerPayload, resolve: ResolveOptions): Promise<TargetGroup[]> {
  const resolutions = await mapLimited(payload.alerts, CONCURRENCY, (alert) =>
    resolveTarget(alert.labels, resolve),
  );
  const groups = new Map<string, TargetGroup>();
  payload.alerts.forEach((alert, i) => {
    const { target, via } = resolutions[i];
    const key = targetText(target);
    const group = groups.get(key) ?? { target, via, alerts: [] };
    group.alerts.push(alert);
    groups.set(key, group);
  });
  return [...groups.values()];
}

function resolvedEntry(alert: AlertmanagerAlert): IntakeResult['resolved'][number] {
  return { alertname: alert.labels.alertname ?? '', fingerprint: alert.fingerprint };
}

/** Points the alert at its execution, for the deliveries in which the opening alert is gone. */
function indexEntry(
  payload: AlertmanagerPayload,
  alert: AlertmanagerAlert,
  executionName: string,
  deps: IntakeDeps,
): IndexedAlert {
  return {
    alertHash: alertHash(payload.groupKey, alert),
    entry: {
      kind: 'AlertIndexEntry',
      executionName,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      indexedAt: deps.now().toISOString(),
    },
  };
}

/** Writes the resolved alert under its incident's evidence prefix and lists it in the manifest. */
async function recordResolved(
  payload: AlertmanagerPayload,
  alert: AlertmanagerAlert,
  execution: ExecutionRecord,
  deps: IntakeDeps,
): Promise<string> {
  // As Open Incident names it: from the execution's start time, target and ARN.
  const openedAt = new Date(Date.parse(execution.startTime)).toISOString();
  const prefix = incidentPrefix(openedAt, incidentId(openedAt, execution.target, execution.executionArn));
  const record: ResolvedAlertRecord = {
    kind: 'ResolvedAlert',
    recordedAt: deps.now().toISOString(),
    receiver: payload.receiver,
    alertGroup: payload.groupKey,
    alertname: alert.labels.alertname ?? '',
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt,
    labels: alert.labels,
    annotations: alert.annotations,
    generatorURL: alert.generatorURL,
  };
  const written = await deps.evidence.putJson(
    evidenceKeys.resolvedAlert(prefix, alert.fingerprint, alert.startsAt),
    record,
  );
  await deps.evidence.updateManifest(prefix, [written]);
  return written.key;
}

/**
 * Handles one delivery. Throws UnauthorizedError, PayloadTooLargeError or InvalidPayloadError
 * (the request is wrong: 4xx, nothing was started), or the error of a dependency (`isTransient`
 * says whether Alertmanager should retry).
 */
export async function intake(delivery: Delivery, deps: IntakeDeps): Promise<IntakeResult> {
  authorize(delivery.authorization, await deps.token());
  assertBodySize(delivery.body.length);
  let raw: unknown;
  try {
    raw = JSON.parse(delivery.body.toString('utf8'));
  } catch (error) {
    throw new InvalidPayloadError('(body)', `not JSON: ${(error as Error).message}`);
  }
  const payload = parseAlertmanagerPayload(raw);
  payload.alerts.forEach((alert, i) => assertTargetLabels(alert.labels, `alerts.${i}.labels`));
  // `alertGroup`, not `groupKey`: the logger redacts any `*Key` field as a credential.
  // Passed with each entry rather than through a child logger: a Powertools child is a whole
  // Logger, too much to build for every delivery of a storm.
  const logKeys = { receiver: payload.receiver, alertGroup: payload.groupKey };
  if (payload.truncatedAlerts > 0) {
    deps.log.warn('Alertmanager left alerts out of this delivery (max_alerts)', {
      ...logKeys,
      truncatedAlerts: payload.truncatedAlerts,
    });
  }

  const groups = await groupByTarget(payload, deps.resolve);
  const index = deps.alertIndex ?? new EvidenceAlertIndex(deps.evidence);
  const indexed = await mapLimited(payload.alerts, CONCURRENCY, async (alert) =>
    latestExecution(await index.executionsOf(alertHash(payload.groupKey, alert))),
  );
  const executionOf = new Map(payload.alerts.map((alert, i) => [alert, indexed[i]]));

  const handled = await mapLimited(groups, CONCURRENCY, async (group) => {
    const firing = group.alerts.filter((a) => a.status === 'firing').sort(byStart);
    const indexedTo = latestExecution(group.alerts.flatMap((a) => executionOf.get(a) ?? []));
    const resolvedAlerts = group.alerts.filter((a) => a.status === 'resolved');
    if (!indexedTo && !firing.length) return { resolved: resolvedAlerts.map(resolvedEntry) };
    // A firing alert whose execution has ended (or is unknown: it died with the local engine,
    // or outlived Step Functions' retention) starts its successor instead of nothing; a re-send
    // shortly after a success is a repeat of what that execution already said.
    const ended =
      indexedTo !== undefined &&
      firing.length > 0 &&
      needsSuccessor(await deps.starter.find(indexedTo), deps.now());
    const known = ended ? undefined : indexedTo;
    const execution =
      known ??
      (indexedTo ? successorName(indexedTo, HASH_LENGTH) : executionName(payload.groupKey, firing[0]));
    const started =
      !known &&
      (await deps.starter.start(execution, executionInput(payload, firing[0], group.target, deps.options)))
        .started;
    // After the start: an index entry never points at an execution that was not started.
    await index.record(
      group.alerts
        .filter((a) => executionOf.get(a) !== execution)
        .map((alert) => indexEntry(payload, alert, execution, deps)),
    );
    const record = resolvedAlerts.length ? await deps.starter.find(execution) : undefined;
    const resolved = await mapLimited(resolvedAlerts, CONCURRENCY, async (alert) =>
      record
        ? {
            ...resolvedEntry(alert),
            recordedIn: execution,
            evidence: await recordResolved(payload, alert, record, deps),
          }
        : resolvedEntry(alert),
    );
    const entry = {
      name: execution,
      target: targetText(group.target),
      via: group.via,
      started,
      alerts: firing.length,
    };
    return { execution: firing.length ? entry : undefined, resolved };
  });
  const executions = handled.flatMap((h) => (h.execution ? [h.execution] : []));
  const resolved = handled.flatMap((h) => h.resolved);

  const result: IntakeResult = {
    receiver: payload.receiver,
    groupKey: payload.groupKey,
    status: payload.status,
    executions,
    resolved,
    truncatedAlerts: payload.truncatedAlerts,
  };
  deps.log.info('delivery handled', {
    ...logKeys,
    started: executions.filter((e) => e.started).map((e) => e.name),
    duplicates: executions.filter((e) => !e.started).map((e) => e.name),
    resolved: resolved.map((r) => ({ fingerprint: r.fingerprint, recordedIn: r.recordedIn ?? null })),
  });
  return result;
}
