import type { ProbableCause } from '../contracts';
import { redactText } from '../redact';
import { RUNBOOK_RULES, type Rule } from './runbook-rules';

/** What the rules look at, gathered by Quick Diagnostics from the workload's pods. */
export interface CauseEvidence {
  containers: Array<{
    pod: string;
    container: string;
    running: boolean;
    ready: boolean;
    waitingReason?: string;
    waitingMessage?: string;
    /** The last termination: the current state's if terminated, else `lastState`. */
    terminationReason?: string;
    exitCode?: number;
  }>;
  podConditions: Array<{ pod: string; type: string; status: string; reason?: string; message?: string }>;
  logs: Array<{ pod: string; container: string; previous: boolean; text: string }>;
}

const EVIDENCE_MAX = 500;

function clip(text: string): string {
  const line = text.trim();
  return line.length <= EVIDENCE_MAX ? line : `${line.slice(0, EVIDENCE_MAX - 1)}…`;
}

/** What in the evidence the rule matched, in words; undefined when it matches nothing. */
function matchRule(rule: Rule, evidence: CauseEvidence): string | undefined {
  const m = rule.match;
  if ('log' in m) {
    // Previous instances first: their last lines are why the container died.
    const logs = [...evidence.logs].sort((a, b) => Number(b.previous) - Number(a.previous));
    for (const log of logs) {
      const line = log.text.split('\n').find((l) => m.log.test(l));
      if (line !== undefined) {
        return `${log.pod}/${log.container}${log.previous ? ' (previous)' : ''}: ${clip(line)}`;
      }
    }
    return undefined;
  }
  if ('waitingReason' in m) {
    const c = evidence.containers.find((c) => c.waitingReason && m.waitingReason.includes(c.waitingReason));
    if (!c) return undefined;
    return `${c.pod}/${c.container} waiting: ${c.waitingReason}${c.waitingMessage ? `: ${clip(c.waitingMessage)}` : ''}`;
  }
  if ('terminationReason' in m) {
    const c = evidence.containers.find(
      (c) =>
        c.terminationReason !== undefined &&
        m.terminationReason.includes(c.terminationReason) &&
        (!m.exitCodes || (c.exitCode !== undefined && m.exitCodes.includes(c.exitCode))),
    );
    if (!c) return undefined;
    return `${c.pod}/${c.container} last terminated: ${c.terminationReason} (exit code ${c.exitCode ?? 'unknown'})`;
  }
  if ('podCondition' in m) {
    const want = m.podCondition;
    const c = evidence.podConditions.find(
      (c) => c.type === want.type && c.status === want.status && c.reason === want.reason,
    );
    if (!c) return undefined;
    return `${c.pod}: ${c.type}=${c.status} ${c.reason}${c.message ? `: ${clip(c.message)}` : ''}`;
  }
  const c = evidence.containers.find((c) => c.running && !c.ready);
  return c ? `${c.pod}/${c.container} is running but not ready` : undefined;
}

/**
 * The most specific runbook rule the evidence matches (ties go to the rule listed first),
 * or undefined when nothing matches. The matched text is redacted: it lands in the
 * execution history and in notifications.
 */
export function diagnoseCause(evidence: CauseEvidence): ProbableCause | undefined {
  const ranked = RUNBOOK_RULES.map((rule, index) => ({ rule, index })).sort(
    (a, b) => b.rule.specificity - a.rule.specificity || a.index - b.index,
  );
  for (const { rule } of ranked) {
    const matched = matchRule(rule, evidence);
    if (matched !== undefined) {
      return {
        ruleId: rule.id,
        cause: rule.cause,
        suggestedFix: rule.suggestedFix,
        runbook: `${rule.runbook.file} § ${rule.runbook.section}`,
        evidence: redactText(matched),
      };
    }
  }
  return undefined;
}
