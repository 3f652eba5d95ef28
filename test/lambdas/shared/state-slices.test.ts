import { checkStepState, StateDocumentError } from '../../../lambdas/shared/state-slices';
import { incident, stepEvent, target } from '../step-fixtures';

/*
 * Each step checks the part of the state document it reads at its entry (state-slices.ts): a
 * document a console user edited, or a fixture, that lacks what the step reads fails there with
 * the field's path, before the step touches the cluster.
 */

const WEB = target('web');

describe('checkStepState', () => {
  it('passes a document the workflow built, unchanged (the step gets it as it came)', () => {
    // Prepare
    const event = stepEvent({ incident: incident(WEB), extra: { kept: true } } as never);

    // Act
    const checked = checkStepState('restart', event);

    // Assess
    expect(checked).toBe(event);
  });

  it('names the wrong field of the incident', () => {
    // Prepare
    const broken = { ...incident(WEB), target: { ...WEB, name: 'Not A Name' } };

    // Act
    const check = () => checkStepState('diagnose', stepEvent({ incident: broken }));

    // Assess
    expect(check).toThrow(StateDocumentError);
    expect(check).toThrow(/^diagnose: the state document's state\.incident\.target\.name /);
  });

  it("names a missing field of a slice only that step reads (Escalate reads the restart's revision)", () => {
    // Prepare
    const state = {
      incident: incident(WEB),
      restart: { restartedAt: '2026-01-01T00:00:00Z', generation: 2 },
    };

    // Act
    const escalate = () => checkStepState('escalate', stepEvent(state as never));
    const diagnose = () => checkStepState('diagnose', stepEvent(state as never));

    // Assess
    expect(escalate).toThrow("escalate: the state document's state.restart.revisionBefore");
    expect(diagnose).not.toThrow();
  });

  it("leaves Open Incident's execution input to its own validation (InvalidInputError names the field)", () => {
    // Prepare
    const event = {
      state: { source: 'manual' },
      execution: stepEvent({ incident: incident(WEB) }).execution,
    };

    // Act
    const check = () => checkStepState('notify', { ...event, params: { stage: 'opened' } });

    // Assess
    expect(check).not.toThrow();
    expect(() => checkStepState('notify', { ...event, params: { stage: 'recovered' } })).toThrow(
      "notify: the state document's state.incident",
    );
  });
});
