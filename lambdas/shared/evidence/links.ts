import type { WorkflowState } from '../contracts';

/** A way for a human to open one piece of evidence. */
export interface EvidenceLink {
  label: string;
  /** `s3://bucket/key`, for the CLI. */
  s3Uri: string;
  /** The S3 console page of the object (or of the folder, for a key ending in `/`). */
  consoleUrl: string;
}

export function evidenceLink(bucket: string, region: string, key: string, label: string): EvidenceLink {
  const base = `https://${region}.console.aws.amazon.com/s3`;
  const query = `region=${encodeURIComponent(region)}&prefix=${encodeURIComponent(key)}`;
  const consoleUrl = key.endsWith('/')
    ? `${base}/buckets/${encodeURIComponent(bucket)}?${query}&showversions=false`
    : `${base}/object/${encodeURIComponent(bucket)}?${query}`;
  return { label, s3Uri: `s3://${bucket}/${key}`, consoleUrl };
}

/**
 * Links to the evidence an incident has so far: its folder, then each document the state
 * says was written.
 */
export function incidentEvidenceLinks(bucket: string, region: string, state: WorkflowState): EvidenceLink[] {
  const prefix = state.incident.evidencePrefix;
  const links = [evidenceLink(bucket, region, prefix, 'Evidence folder')];
  if (state.diagnostics)
    links.push(evidenceLink(bucket, region, state.diagnostics.evidence.diagnostics, 'diagnostics.json'));
  if (state.events) {
    links.push(evidenceLink(bucket, region, state.events.evidence.events, 'events.json'));
    links.push(evidenceLink(bucket, region, state.events.evidence.manifest, 'manifest.json'));
  }
  if (state.dump) links.push(evidenceLink(bucket, region, state.dump.prefix, 'cluster dump'));
  if (state.report) links.push(evidenceLink(bucket, region, state.report.markdown, 'report.md'));
  return links;
}
