import { targetText } from '../shared/contracts';
import { decisionText } from '../shared/decision-text';
import { markdownCode, markdownText } from '../shared/escape/markdown';
import type { IncidentReport, TimelineEntry } from './incident-report';

/**
 * Every value put into the report comes from alert text, the cluster or an error, so each is
 * written through markdownText/markdownCode (lambdas/shared/escape/markdown.ts): it reads as
 * the text it is, with no HTML, link, image or table structure of its own.
 */
const text = markdownText;
const code = (value: string) => markdownCode(value);
const cellCode = (value: string) => markdownCode(value, true);

/** A table of cells already escaped (markdownText and markdownCode escape pipes and join lines). */
function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** HH:MM:SS UTC: the diagram only needs the time of day, the table has the full stamp. */
function clock(at: string | undefined): string {
  return at ? `${new Date(at).toISOString().slice(11, 19)}Z` : '';
}

/** Mermaid labels are quoted strings; a quote inside one is written as an entity. */
function label(value: string): string {
  return value.replaceAll('"', '#quot;');
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
  'storm-no-action':
    'Storm brake: diagnosed and kept as evidence, no action (listed in a storm notification)',
};

/** The silence the flow made while it remediated, or why it made none (it never blocks the remediation). */
function silenceText(silence: NonNullable<IncidentReport['silence']>): string {
  const matching = silence.matchers.map((m) => `${m.name}="${m.value}"`).join(', ');
  return silence.id
    ? `${silence.id} in ${silence.alertmanagerUrl} matching {${matching}} until ${silence.endsAt}, to be expired when the flow ends (Release Lock)`
    : `none (${silence.error})`;
}

/** Who answered the approval request, how and when, or that nobody did. */
function approvalText(approval: NonNullable<IncidentReport['approval']>): string {
  if (approval.decision === 'timeout') return `the ${approval.action} was not answered before the timeout`;
  return `the ${approval.action} was ${approval.decision} by ${approval.by} via ${approval.via} at ${approval.at} (requested ${approval.requestedAt})`;
}

/** Why the flow acted or did not: the decision, the read right before a write, the hypotheses. */
function decisionSection(report: IncidentReport): string[] {
  if (
    !report.decision &&
    !report.hypotheses.length &&
    !report.health &&
    !report.dependencyWait &&
    !report.approval &&
    !report.silence
  )
    return [];
  const lines = ['## Decision', ''];
  if (report.decision) lines.push(`- **Decision:** ${markdownText(decisionText(report.decision))}`);
  if (report.dependencyWait) lines.push(`- **Dependency:** ${markdownText(report.dependencyWait.message)}`);
  if (report.health)
    lines.push(`- **Before the ${report.health.before}:** ${markdownText(report.health.detail)}`);
  if (report.approval) lines.push(`- **Approval:** ${markdownText(approvalText(report.approval))}`);
  if (report.silence) lines.push(`- **Alertmanager silence:** ${markdownText(silenceText(report.silence))}`);
  if (report.hypotheses.length) {
    lines.push(
      '',
      ...table(
        ['#', 'Rule', 'Confidence', 'Cause', 'Fix', 'Runbook'],
        report.hypotheses.map((h, i) => [
          String(i + 1),
          markdownCode(h.ruleId, true),
          `${Math.round(h.confidence * 100)}%`,
          markdownText(h.cause),
          markdownText(h.fix),
          markdownText(`${h.runbook.file} § ${h.runbook.section}`),
        ]),
      ),
    );
    const evidence = report.hypotheses[0].evidence;
    if (evidence.length) {
      lines.push('', 'Evidence of the top hypothesis:', '', ...evidence.map((e) => `- ${markdownCode(e)}`));
    }
  }
  lines.push('');
  return lines;
}

/** report.md: what a responder or a post-incident review reads. */
export function renderMarkdown(report: IncidentReport, evidencePrefix: string): string {
  const { target, alert } = report;
  const lines: string[] = [
    `# Incident ${text(report.incidentId)}`,
    '',
    `**${OUTCOME_TEXT[report.outcome]}** (\`${report.outcome}\`)`,
    '',
    ...table(
      ['', ''],
      [
        ['Target', text(targetText(target))],
        ['Alert', text(`${alert.name} (${alert.severity}) since ${alert.startsAt}`)],
        ...(alert.summary ? [['Summary', text(alert.summary)]] : []),
        ['Source', text(report.source)],
        ['Opened', text(report.openedAt)],
        ['Reported', text(report.reportedAt)],
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
      report.timeline.map((e) => [text(e.at ?? ''), text(e.step), e.status, text(e.summary)]),
    ),
    '',
    '## Actions',
    '',
    ...(report.actions.length
      ? table(
          ['Time', 'Action', 'Detail'],
          report.actions.map((a) => [text(a.at), a.action, text(a.detail)]),
        )
      : ['Nothing in the cluster was changed.']),
    '',
    '## Verification',
    '',
    ...(report.verification.length
      ? table(
          ['Time', 'Phase', 'Outcome', 'Message'],
          report.verification.map((v) => [text(v.checkedAt), v.phase, v.outcome, text(v.message)]),
        )
      : ['No remediation was verified.']),
    '',
    ...decisionSection(report),
    '## Probable cause',
    '',
    ...(report.probableCause
      ? [
          `- **Cause:** ${text(report.probableCause.cause)}`,
          `- **Suggested fix:** ${text(report.probableCause.suggestedFix)}`,
          `- **Runbook:** ${text(report.probableCause.runbook)}`,
          `- **Evidence:** ${code(report.probableCause.evidence)}`,
        ]
      : ['No runbook rule matched the diagnostics.']),
  ];
  if (report.escalation || report.error) {
    lines.push('', '## Escalation', '');
    if (report.escalation) {
      lines.push(
        `- **Why:** ${text(report.escalation.why)}`,
        `- **Notified:** ${text(report.escalation.notified.join(', ')) || 'nobody'}`,
      );
    }
    if (report.error)
      lines.push(
        `- **Error:** ${code(report.error.Error)}${report.error.Cause ? ` — ${text(report.error.Cause)}` : ''}`,
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
            report.resolvedAlerts.map((a) => [
              text(a.endsAt),
              text(a.alertname),
              cellCode(a.fingerprint),
              text(a.startsAt),
            ]),
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
      `${code(d.prefix)}: ${d.objects} objects, ${d.bytes} bytes${d.truncated ? ' (truncated at the size cap)' : ''}.`,
    );
  }
  lines.push(
    '',
    '## Evidence',
    '',
    `Under ${code(evidencePrefix)}; \`manifest.json\` lists each object's SHA-256. This report is \`report.md\`, its data \`report.json\`.`,
    '',
    ...table(
      ['Object', 'Bytes', 'SHA-256'],
      report.evidence.map((o) => [
        cellCode(o.key.slice(evidencePrefix.length)),
        String(o.size),
        cellCode(o.sha256),
      ]),
    ),
    '',
  );
  return lines.join('\n');
}
