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
 * Report: the post-incident record in Markdown and JSON, from the state document and the
 * manifest; then the manifest again, so it lists the report too. Every execution that got
 * past Open Incident ends here, whatever happened in between.
 */
export async function report(event: StepEvent, deps: ReportDeps): Promise<ReportResult> {
  const { state } = event;
  const prefix = state.incident.evidencePrefix;
  const manifest = await deps.evidence.getJson<Manifest>(evidenceKeys.manifest(prefix));
  const document = buildReport(state, deps.now().toISOString(), manifest?.objects ?? []);
  const json = await deps.evidence.putJson(evidenceKeys.reportJson(prefix), document);
  const markdown = await deps.evidence.putText(
    evidenceKeys.reportMarkdown(prefix),
    renderMarkdown(document, prefix),
    'text/markdown; charset=utf-8',
  );
  await deps.evidence.updateManifest(prefix, [json, markdown]);
  return { outcome: document.outcome, markdown: markdown.key, json: json.key };
}
