import * as z from 'zod';
import { incidentTargetSchema, type StepEvent } from './contracts';
import { PARSE_ONCE } from './env';

/**
 * The parts of the state document (`$`, contracts.ts WorkflowState) each step reads, checked at
 * the step's entry. The document is built by the workflow itself, but it is also what a console
 * user edits to redrive an execution or a test fixture hands a step: a slice that is not what the
 * step expects fails here, naming the field, instead of deep inside the step as an undefined read.
 *
 * Objects are loose (`z.looseObject`): a slice checks what its step reads and lets the rest of
 * the document through untouched; the step gets the document as it came, never a parsed copy.
 */

export class StateDocumentError extends Error {
  constructor(
    readonly step: string,
    /** The wrong field's path from the event, e.g. `state.incident.target.name`. */
    readonly field: string,
    problem: string,
  ) {
    super(`${step}: the state document's ${field} ${problem}`);
    this.name = 'StateDocumentError';
  }
}

const text = z.string().min(1);

const incidentSlice = z.looseObject({
  id: text,
  openedAt: text,
  evidencePrefix: text,
  source: text,
  target: incidentTargetSchema,
  alert: z.looseObject({ name: text, severity: text }),
  options: z.looseObject({
    dryRun: z.boolean(),
    waitSeconds: z.number(),
    verifyTimeoutSeconds: z.number(),
    allowRollback: z.boolean(),
  }),
});

const lockSlice = z.looseObject({ namespace: text, name: text, holderIdentity: text, acquired: z.boolean() });
const guardSlice = z.looseObject({ allowed: z.boolean(), lock: lockSlice.optional() });
const restartSlice = z.looseObject({ revisionBefore: z.number(), restartedAt: text, generation: z.number() });
const rollbackSlice = z.looseObject({
  fromRevision: z.number(),
  toRevision: z.number(),
  skipped: z.boolean(),
  rolledBackAt: text,
});
const verificationSlice = z.looseObject({ history: z.array(z.looseObject({ phase: text, outcome: text })) });

/** Every Task after Open Incident reads the incident. */
const incidentState = z.looseObject({ incident: incidentSlice });

/** What each function reads of `$`, by its folder under lambdas/. */
export const STATE_SLICES = {
  notify: incidentState.extend({
    guard: guardSlice.optional(),
    restart: restartSlice.optional(),
    health: z.looseObject({ before: z.enum(['restart', 'rollback']) }).optional(),
  }),
  diagnose: incidentState,
  'collect-events': incidentState,
  guard: incidentState.extend({
    guard: guardSlice.optional(),
    health: z.looseObject({ before: z.enum(['restart', 'rollback']) }).optional(),
  }),
  restart: incidentState.extend({ guard: guardSlice.optional() }),
  verify: incidentState.extend({ guard: guardSlice.optional(), verification: verificationSlice.optional() }),
  rollback: incidentState.extend({ guard: guardSlice.optional() }),
  escalate: incidentState.extend({ restart: restartSlice.optional(), rollback: rollbackSlice.optional() }),
  'cluster-dump': incidentState,
  report: incidentState.extend({ guard: guardSlice.optional(), verification: verificationSlice.optional() }),
} as const;

export type StateSliceStep = keyof typeof STATE_SLICES;

/**
 * Checks the slice of `event.state` that `step` reads; throws StateDocumentError naming the first
 * wrong field. Open Incident's event carries the execution input, which it validates itself
 * (parseExecutionInput, InvalidInputError), so it is not a state document.
 */
export function checkStepState<E extends StepEvent<unknown, unknown>>(step: StateSliceStep, event: E): E {
  const params = (event.params ?? {}) as { stage?: unknown };
  if (step === 'notify' && params.stage === 'opened') return event;
  const result = STATE_SLICES[step].safeParse(event.state, PARSE_ONCE);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = ['state', ...issue.path.map(String)].join('.');
    throw new StateDocumentError(step, field, issue.message);
  }
  return event;
}
