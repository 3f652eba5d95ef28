import type { WorkflowState } from '../../lambdas/shared/contracts';
import type { LocalExecution } from './execute-definition';

/**
 * An incident nobody may have heard of: the execution ended without one notification delivered
 * (Escalate or Notify Recovered, or failing both, Last-Resort Notify), because SNS (and Slack)
 * failed, or S3 and SNS both did. On AWS the fallback alarm on failed executions pages then
 * (lib/constructs/fallback-alarm.ts); locally the process that ran it says so on stderr.
 */

/** The state document at the end: the output, or the input of the last state entered when it failed. */
export function finalStateOf(run: LocalExecution): Partial<WorkflowState> & Record<string, unknown> {
  if (run.output && typeof run.output === 'object') return run.output as Partial<WorkflowState>;
  const last = [...run.events].reverse().find((e) => e.type === 'StateEntered') as
    { state: { input?: unknown } } | undefined;
  const input = last?.state.input;
  return input && typeof input === 'object' ? (input as Partial<WorkflowState>) : {};
}

function heard(state: Partial<WorkflowState> & Record<string, unknown>): boolean {
  const lastResort = state.lastResort as { MessageId?: unknown } | undefined;
  return (
    (state.escalation?.notified.length ?? 0) > 0 ||
    (state.notified?.notified.length ?? 0) > 0 ||
    typeof lastResort?.MessageId === 'string'
  );
}

/** Strips control characters so the warning cannot be rewritten by the alert text it quotes. */
function plain(text: unknown): string {
  return [...String(text ?? '')]
    .map((c) => (/\p{Cc}/u.test(c) ? ' ' : c))
    .join('')
    .slice(0, 500);
}

/**
 * The warning to print when no notification of the execution was delivered, else undefined.
 * It says what the incident was about, since the evidence may not have been written either.
 */
export function unheardIncident(run: LocalExecution, input: unknown): string | undefined {
  const state = finalStateOf(run);
  if (heard(state)) return undefined;
  const given = (state.incident ?? input) as
    { target?: Record<string, string>; alert?: { name?: string; summary?: string } } | undefined;
  const target = given?.target;
  const error = run.error ?? (state.error as { Error?: string; Cause?: unknown } | undefined);
  return [
    '',
    '!!! eks-incident: NO NOTIFICATION WAS DELIVERED FOR THIS INCIDENT: a human must look now !!!',
    `    execution  ${plain(run.executionArn)} (${run.status}${error?.Error ? `: ${plain(error.Error)}` : ''})`,
    `    target     ${plain(target ? [target.kind, target.namespace, target.name].filter(Boolean).join(' ') : '(unknown)')}`,
    `    alert      ${plain(given?.alert?.name)}: ${plain(given?.alert?.summary)}`,
    ...(state.incident?.evidencePrefix
      ? [`    evidence   ${plain(state.incident.evidencePrefix)} (may be incomplete)`]
      : []),
    `    why        ${plain(typeof error?.Cause === 'string' ? error.Cause : JSON.stringify(error?.Cause ?? 'every notification channel failed'))}`,
    '',
  ].join('\n');
}
