import { targetText } from '../shared/contracts';
import { decisionText } from '../shared/decision-text';
import type { IncidentReport, TimelineEntry } from './incident-report';

/** A table cell: pipes would end the cell and newlines the row. */
function cell(text: string): string {
  return text
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replace(/\s*\n\s*/g, ' ');
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

/** HH:MM:SS UTC: the diagram only needs the time of day, the table has the full stamp. */
function clock(at: string | undefined): string {
  return at ? `${new Date(at).toISOString().slice(11, 19)}Z` : '';
}

/** Mermaid labels are quoted strings; a quote inside one is written as an entity. */
function label(text: string): string {
  return text.replaceAll('"', '#quot;');
}

/**
 * The timeline as a Mermaid flowchart (GitHub renders ```mermaid blocks): one node per step,
 * failed steps in red, skipped ones grey.
 */
function diagram(entries: TimelineEntry[]): string[] {
  const nodes = entries.map((e, i) => `  s${i}["${label(e.step)}${e.at ? `<br/>${clock(e.at)}` : ''}"]`);
  const edges = entries.slice(1).map((_, i) => `  s${i} --> s${i + 1}`);
  const classes = entries.flatMap((e, i) => (e.status === 'ok' ? [] : [`  class s${i} ${e.status}`]));
  return [
    '```mermaid',
    'flowchart LR',
    ...nodes,
    ...edges,
    '  classDef failed fill:#fdd,stroke:#c00,color:#600',
    '  classDef skipped fill:#eee,stroke:#999,color:#555',
    ...classes,
    '```',
  ];
}

const OUTCOME_TEXT: Record<IncidentReport['outcome'], string> = {
  'recovered-by-restart': 'Recovered by a rollout restart',
  'recovered-by-rollback': 'Recovered by a rollback',
  'healthy-no-action': 'Healthy at action time; no action',
  escalated: 'Escalated to a human',
  'dry-run': 'Dry run: diagnosed and reported, nothing changed',
};

/** Why the flow acted or did not: the decision, the read right before a write, the hypotheses. */
function decisionSection(report: IncidentReport): string[] {
  if (!report.decision && !report.hypotheses.length && !report.health && !report.dependencyWait) return [];
  const lines = ['## Decision', ''];
  if (report.decision) lines.push(`- **Decision:** ${decisionText(report.decision)}`);
  if (report.dependencyWait) lines.push(`- **Dependency:** ${report.dependencyWait.message}`);
  if (report.health) lines.push(`- **Before the ${report.health.before}:** ${report.health.detail}`);
  if (report.hypotheses.length) {
    lines.push(
      '',
      ...table(
        ['#', 'Rule', 'Confidence', 'Cause', 'Fix', 'Runbook'],
        report.hypotheses.map((h, i) => [
          String(i + 1),
          `\`${h.ruleId}\``,
          `${Math.round(h.confidence * 100)}%`,
          h.cause,
          h.fix,
          `${h.runbook.file} § ${h.runbook.section}`,
        ]),
      ),
    );
    const evidence = report.hypotheses[0].evidence;
    if (evidence.length) {
      lines.push(
        '',
        'Evidence of the top hypothesis:',
        '',
        ...evidence.map((e) => `- \`${e.replaceAll('`', "'")}\``),
      );
    }
  }
  lines.push('');
  return lines;
}

/** report.md: what a responder or a post-incident review reads. */
export function renderMarkdown(report: IncidentReport, evidencePrefix: string): string {
  const { target, alert } = report;
  const lines: string[] = [
    `# Incident ${report.incidentId}`,
    '',
    `**${OUTCOME_TEXT[report.outcome]}** (\`${report.outcome}\`)`,
    '',
    ...table(
      ['', ''],
      [
        ['Target', targetText(target)],
        ['Alert', `${alert.name} (${alert.severity}) since ${alert.startsAt}`],
        ...(alert.summary ? [['Summary', alert.summary]] : []),
        ['Source', report.source],
        ['Opened', report.openedAt],
        ['Reported', report.reportedAt],
        ['Dry run', report.dryRun ? 'yes' : 'no'],
      ],
    ),
    '',
    '## Timeline',
    '',
    ...diagram(report.timeline),
    '',
    ...table(
      ['Time', 'Step', 'Status', 'What happened'],
      report.timeline.map((e) => [e.at ?? '', e.step, e.status, e.summary]),
    ),
    '',
    '## Actions',
    '',
    ...(report.actions.length
      ? table(
          ['Time', 'Action', 'Detail'],
          report.actions.map((a) => [a.at, a.action, a.detail]),
        )
      : ['Nothing in the cluster was changed.']),
    '',
    '## Verification',
    '',
    ...(report.verification.length
      ? table(
          ['Time', 'Phase', 'Outcome', 'Message'],
          report.verification.map((v) => [v.checkedAt, v.phase, v.outcome, v.message]),
        )
      : ['No remediation was verified.']),
    '',
    ...decisionSection(report),
    '## Probable cause',
    '',
    ...(report.probableCause
      ? [
          `- **Cause:** ${report.probableCause.cause}`,
          `- **Suggested fix:** ${report.probableCause.suggestedFix}`,
          `- **Runbook:** ${report.probableCause.runbook}`,
          `- **Evidence:** \`${report.probableCause.evidence.replaceAll('`', "'")}\``,
        ]
      : ['No runbook rule matched the diagnostics.']),
  ];
  if (report.escalation || report.error) {
    lines.push('', '## Escalation', '');
    if (report.escalation) {
      lines.push(
        `- **Why:** ${report.escalation.why}`,
        `- **Notified:** ${report.escalation.notified.join(', ') || 'nobody'}`,
      );
    }
    if (report.error)
      lines.push(
        `- **Error:** \`${report.error.Error}\`${report.error.Cause ? ` — ${cell(report.error.Cause)}` : ''}`,
      );
  }
  if (report.resolvedAlerts.length || report.source === 'alertmanager') {
    lines.push(
      '',
      '## Alerts resolved',
      '',
      ...(report.resolvedAlerts.length
        ? table(
            ['Resolved at', 'Alert', 'Fingerprint', 'Firing since'],
            report.resolvedAlerts.map((a) => [a.endsAt, a.alertname, `\`${a.fingerprint}\``, a.startsAt]),
          )
        : ['Alertmanager had not reported the alert resolved when this report was written.']),
    );
  }
  if (report.clusterDump) {
    const d = report.clusterDump;
    lines.push(
      '',
      '## Cluster dump',
      '',
      `\`${d.prefix}\`: ${d.objects} objects, ${d.bytes} bytes${d.truncated ? ' (truncated at the size cap)' : ''}.`,
    );
  }
  lines.push(
    '',
    '## Evidence',
    '',
    `Under \`${evidencePrefix}\`; \`manifest.json\` lists each object's SHA-256. This report is \`report.md\`, its data \`report.json\`.`,
    '',
    ...table(
      ['Object', 'Bytes', 'SHA-256'],
      report.evidence.map((o) => [
        `\`${o.key.slice(evidencePrefix.length)}\``,
        String(o.size),
        `\`${o.sha256}\``,
      ]),
    ),
    '',
  );
  return lines.join('\n');
}
