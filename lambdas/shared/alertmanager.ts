import * as z from 'zod';

/**
 * The Alertmanager webhook payload, version 4 (`webhook_config`; Alertmanager's
 * notify/webhook Message: template.Data plus version, groupKey and truncatedAlerts).
 *
 * Every field the intake reads is checked for presence and type, and the first bad one is
 * named in the 400 answer. Fields Alertmanager may add within version 4 are ignored rather
 * than refused (`truncatedAlerts` arrived that way): Alertmanager does not retry a 4xx, so
 * refusing them would turn an Alertmanager upgrade into silence.
 */

const labelSet = z.record(z.string(), z.string());

/** RFC 3339 as Go marshals time.Time: nanoseconds, `Z` or an offset. */
const timestamp = z.iso.datetime({ offset: true });

export const alertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet,
  startsAt: timestamp,
  /** `0001-01-01T00:00:00Z` (Go's zero time) while the alert fires. */
  endsAt: timestamp,
  generatorURL: z.string(),
  /** Alertmanager's hash of the label set, `%016x`. */
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits'),
});
export type AlertmanagerAlert = z.infer<typeof alertmanagerAlertSchema>;

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  /** Identifies the alert group (route and group labels); stable across the group's notifications. */
  groupKey: z.string().min(1),
  /** Alerts left out by the receiver's `max_alerts`. */
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().min(1),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  alerts: z.array(alertmanagerAlertSchema).min(1),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

/** The payload is not a version-4 Alertmanager notification; `field` names the first bad field. */
export class InvalidPayloadError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid Alertmanager payload: ${field}: ${message}`);
    this.name = 'InvalidPayloadError';
  }
}

/** Parses a webhook body (already JSON-decoded), naming the first bad field (`alerts.0.startsAt`). */
export function parseAlertmanagerPayload(raw: unknown): AlertmanagerPayload {
  const result = alertmanagerPayloadSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : '(payload)';
  throw new InvalidPayloadError(field, issue.message);
}

/**
 * The intake's record of which execution an alert belongs to, at
 * `incidents/alert-index/<hash of group key, fingerprint and start>/<execution>.json`. An alert
 * keeps its execution for as long as it fires: a notification in which the alert that opened
 * the execution is gone (resolved, its pod replaced) still finds it through any other alert it
 * shares with it.
 */
export interface AlertIndexEntry {
  kind: 'AlertIndexEntry';
  executionName: string;
  fingerprint: string;
  startsAt: string;
  indexedAt: string;
}

/**
 * What the intake writes under an incident's evidence prefix (`alerts/<fingerprint>-<start>-resolved.json`)
 * when Alertmanager reports one of its alerts resolved; the report step lists them.
 */
export interface ResolvedAlertRecord {
  kind: 'ResolvedAlert';
  /** When the intake received the notification. */
  recordedAt: string;
  receiver: string;
  /** Alertmanager's group key (not `groupKey`: evidence redaction takes any `*Key` field for a credential). */
  alertGroup: string;
  alertname: string;
  fingerprint: string;
  startsAt: string;
  endsAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
}
