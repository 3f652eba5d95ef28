import type { Diagnostics, Hypothesis, RemediationDecision } from './contracts';

/**
 * How notifications and the report say why the flow acted or did not: the decision and its
 * reason, the top hypotheses with their confidence, and the fix. One wording everywhere, so a
 * page, the recovery message and report.md never disagree.
 */

/** Hypotheses quoted in a notification: enough to weigh the alternatives, short enough to read. */
export const HYPOTHESES_QUOTED = 3;

const ACTION_TEXT: Record<RemediationDecision['action'], string> = {
  restart: 'restart',
  rollback: 'roll back',
  'wait-for-dependency': 'wait for the dependency, then restart',
  none: 'no automatic action',
};

/** `restart (confident): <reason>`, `no automatic action (unsure): <reason>`. */
export function decisionText(decision: RemediationDecision): string {
  const dependency = decision.dependency
    ? ` (Service ${decision.dependency.namespace}/${decision.dependency.service})`
    : '';
  return `${ACTION_TEXT[decision.action]}${dependency}, ${decision.confident ? 'confident' : 'unsure'}: ${decision.reason}`;
}

/** `oom-killed (85%): the container ...` */
export function hypothesisText(hypothesis: Hypothesis): string {
  return `${hypothesis.ruleId} (${Math.round(hypothesis.confidence * 100)}%): ${hypothesis.cause}`;
}

/**
 * The lines a notification carries about the diagnosis: the decision, the top hypotheses and
 * the fix; the single runbook match when the diagnosis ranked none.
 */
export function diagnosisLines(diagnostics: Diagnostics | undefined): string[] {
  if (!diagnostics) return [];
  const lines: string[] = [];
  const { remediation, hypotheses = [], probableCause } = diagnostics;
  if (remediation) lines.push(`Decision: ${decisionText(remediation)}`);
  if (hypotheses.length) {
    lines.push(
      ...hypotheses.slice(0, HYPOTHESES_QUOTED).map((h, i) => `Hypothesis ${i + 1}: ${hypothesisText(h)}`),
      `Fix: ${hypotheses[0].fix}`,
      `Runbook: ${hypotheses[0].runbook.file} § ${hypotheses[0].runbook.section}`,
    );
  } else if (probableCause) {
    lines.push(
      `Probable cause: ${probableCause.cause}`,
      `Suggested fix: ${probableCause.suggestedFix}`,
      `Runbook: ${probableCause.runbook}`,
    );
  }
  return lines;
}
