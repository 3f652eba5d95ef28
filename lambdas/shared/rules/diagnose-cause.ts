import type { Hypothesis, ProbableCause, RemediationDecision } from '../contracts';
import { emptyEvidence, type DiagnosisEvidence } from '../diagnosis/evidence';
import { decideRemediation, evaluateRules } from './engine';
import { builtinRules } from './load-rules';
import type { Rule } from './rule-schema';

/** What the rules look at when only container states, pod conditions and logs are known. */
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

export interface Diagnosis {
  hypotheses: Hypothesis[];
  remediation: RemediationDecision;
  /** The top hypothesis in the older one-cause shape, for the report, notify and escalate. */
  probableCause?: ProbableCause;
}

export function probableCauseOf(top: Hypothesis | undefined): ProbableCause | undefined {
  if (!top) return undefined;
  return {
    ruleId: top.ruleId,
    cause: top.cause,
    suggestedFix: top.fix,
    runbook: `${top.runbook.file} § ${top.runbook.section}`,
    evidence: top.evidence[0] ?? '',
  };
}

/** Ranked hypotheses, the remediation the best one calls for, and the probable cause. */
export function diagnoseEvidence(
  evidence: DiagnosisEvidence,
  rules: readonly Rule[] = builtinRules(),
): Diagnosis {
  const hypotheses = evaluateRules(rules, evidence);
  const probableCause = probableCauseOf(hypotheses[0]);
  return {
    hypotheses,
    remediation: decideRemediation(hypotheses),
    ...(probableCause ? { probableCause } : {}),
  };
}

/**
 * The best runbook cause for container states, pod conditions and logs alone (no events,
 * revisions or dependencies), or undefined when nothing matches. The matched text is redacted.
 */
export function diagnoseCause(evidence: CauseEvidence, rules?: readonly Rule[]): ProbableCause | undefined {
  const full: DiagnosisEvidence = {
    ...emptyEvidence({ namespace: '', kind: 'Deployment', name: '' }),
    containers: evidence.containers.map((c) => ({
      pod: c.pod,
      container: c.container,
      init: false,
      running: c.running,
      ready: c.ready,
      restartCount: 0,
      ...(c.waitingReason ? { waitingReason: c.waitingReason } : {}),
      ...(c.waitingMessage ? { waitingMessage: c.waitingMessage } : {}),
      ...(c.terminationReason || c.exitCode !== undefined
        ? { termination: { reason: c.terminationReason, exitCode: c.exitCode } }
        : {}),
    })),
    conditions: evidence.podConditions.map((c) => ({ on: 'Pod' as const, name: c.pod, ...c })),
    logs: evidence.logs,
  };
  return diagnoseEvidence(full, rules).probableCause;
}
