/**
 * Alertmanager silences tied to an incident, through Alertmanager's API v2: while the workflow
 * remediates, the alerts that opened the incident stop paging (`POST /api/v2/silences`), and when
 * the flow ends — recovered, or escalated so the page goes on — the silence is expired
 * (`DELETE /api/v2/silence/{id}`).
 *
 * A silence is only ever a convenience: every failure here is returned, never thrown, so a
 * silence that cannot be created never blocks a remediation; the report says what happened.
 */

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: false;
  isEqual: true;
}

/** `$.guard.silence`: the silence the flow created, or why it has none. */
export interface SilenceRecord {
  /** Alertmanager's silence id, when it was created. */
  id?: string;
  alertmanagerUrl: string;
  matchers: SilenceMatcher[];
  endsAt?: string;
  /** Why there is no silence (Alertmanager unreachable, refused, no labels to match). */
  error?: string;
}

export interface SilencePort {
  readonly url: string;
  create(silence: {
    matchers: SilenceMatcher[];
    startsAt: string;
    endsAt: string;
    createdBy: string;
    comment: string;
  }): Promise<string>;
  expire(id: string): Promise<void>;
}

/** Alertmanager answered with an error status. */
export class AlertmanagerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertmanagerError';
  }
}

export class AlertmanagerSilences implements SilencePort {
  constructor(
    readonly url: string,
    private readonly options: { timeoutMs?: number; authorization?: string } = {},
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${this.url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(this.options.authorization ? { authorization: this.options.authorization } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
    });
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).slice(0, 300);
      throw new AlertmanagerError(`${method} ${path}: HTTP ${response.status} ${text}`.trim());
    }
    return response;
  }

  async create(silence: Parameters<SilencePort['create']>[0]): Promise<string> {
    const response = await this.call('POST', '/api/v2/silences', silence);
    const { silenceID } = (await response.json()) as { silenceID?: string };
    if (!silenceID) throw new AlertmanagerError('POST /api/v2/silences: no silenceID in the answer');
    return silenceID;
  }

  async expire(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }
}

/**
 * Equality matchers on every label of the alert: a silence matches an alert whose labels include
 * all of them, so with the whole label set it matches that alert and no other (an alert with the
 * same labels is the same alert to Alertmanager: same fingerprint).
 */
export function matchersOf(labels: Record<string, string>): SilenceMatcher[] {
  return Object.entries(labels)
    .filter(([name, value]) => name && value !== '')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value, isRegex: false as const, isEqual: true as const }));
}

/** Creates the incident's silence; never throws (the record says why there is none). */
export async function silenceIncident(
  port: SilencePort,
  incident: { id: string; evidencePrefix: string; alert: { labels: Record<string, string> } },
  window: { now: Date; seconds: number },
  evidenceUri: string,
): Promise<SilenceRecord> {
  const matchers = matchersOf(incident.alert.labels);
  const base = { alertmanagerUrl: port.url, matchers };
  // Without an alertname the labels do not name an alert Alertmanager sent (a manual execution).
  if (!incident.alert.labels.alertname) {
    return { ...base, error: 'the incident was not opened by an Alertmanager alert: nothing to silence' };
  }
  const endsAt = new Date(window.now.getTime() + window.seconds * 1000).toISOString();
  try {
    const id = await port.create({
      matchers,
      startsAt: window.now.toISOString(),
      endsAt,
      createdBy: `eks-incident-response ${incident.id}`,
      comment: `Remediation of incident ${incident.id} under way; expired when the flow ends. Evidence: ${evidenceUri}`,
    });
    return { ...base, id, endsAt };
  } catch (error) {
    return { ...base, error: (error as Error).message };
  }
}
