import type { ResolvedAlertRecord } from '../shared/alertmanager';
import type { ReportResult, StepEvent } from '../shared/contracts';
import type { EvidenceStore, Manifest } from '../shared/evidence/evidence-store';
import { evidenceKeys } from '../shared/evidence/layout';
import { buildReport } from './incident-report';
import { renderMarkdown } from './markdown';

export interface ReportDeps {
  evidence: EvidenceStore;
  now: () => Date;
}

/**
 * What the webhook intake recorded while the incident ran: Alertmanager reporting its alerts
 * resolved. Listed rather than read from the manifest, which the intake may have rewritten at
 * the same moment as a step.
 */
async function resolvedAlerts(evidence: EvidenceStore, prefix: string): Promise<ResolvedAlertRecord[]> {
  const keys = (await evidence.keys(evidenceKeys.alerts(prefix))).filter((key) =>
    key.endsWith('-resolved.json'),
  );
  const records = await Promise.all(keys.map((key) => evidence.getJson<ResolvedAlertRecord>(key)));
  return records
    .filter((record): record is ResolvedAlertRecord => record?.kind === 'ResolvedAlert')
    .sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt));
}

/**
 * Report: the post-incident record in Markdown and JSON, from the state document and the
 * manifest; then the manifest again, so it lists the report too. Every execution that got
 * past Open Incident ends here, whatever happened in between.
 */
export async function report(event: StepEvent, deps: ReportDeps): Promise<ReportResult> {
  const { state } = event;
  const prefix = state.incident.evidencePrefix;
  const manifest = await deps.evidence.getJson<Manifest>(evidenceKeys.manifest(prefix));
  const resolved = await resolvedAlerts(deps.evidence, prefix);
  const document = buildReport(state, deps.now().toISOString(), manifest?.objects ?? [], resolved);
  const json = await deps.evidence.putJson(evidenceKeys.reportJson(prefix), document);
  const markdown = await deps.evidence.putText(
    evidenceKeys.reportMarkdown(prefix),
    renderMarkdown(document, prefix),
    'text/markdown; charset=utf-8',
  );
  await deps.evidence.updateManifest(prefix, [json, markdown]);
  return { outcome: document.outcome, markdown: markdown.key, json: json.key };
}
