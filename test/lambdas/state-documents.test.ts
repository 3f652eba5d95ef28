import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExecutionInput, type StepEvent } from '../../lambdas/shared/contracts';
import { checkStepState, StateDocumentError, type StateSliceStep } from '../../lambdas/shared/state-slices';
import { INCIDENT_STEPS, stepDefinition } from '../../lib/incident-steps';
import { fixtureFile } from '../fixtures/state-documents/files';

/**
 * The state documents captured from real local runs (test/fixtures/state-documents/capture.ts,
 * `npm run fixtures:state-documents`) against the state slices each step checks at its entry: a
 * change to the document that a step's slice no longer accepts fails here, and the fixtures are
 * captured again with the change.
 */

interface Fixture {
  state: string;
  folder: StateSliceStep;
  scenario: string;
  document: Record<string, unknown>;
}

const DIR = join(__dirname, '../fixtures/state-documents');
const fixtures: Fixture[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Fixture);

const EXECUTION = {
  id: 'arn:aws:states:eu-west-1:000000000000:execution:IncidentResponse:fixture',
  name: 'fixture',
};

function eventOf(fixture: Fixture): StepEvent {
  return {
    state: fixture.document,
    execution: { ...EXECUTION, startTime: '2026-11-22T03:00:00Z' },
  } as unknown as StepEvent;
}

describe('state documents captured from local runs', () => {
  it('cover every state of the restart, rollback and escalation paths, each file named after its state', () => {
    // Act
    const states = fixtures.map((f) => f.state).sort();

    // Assess
    expect(states).toEqual(
      expect.arrayContaining([
        'Open Incident',
        'Quick Diagnostics',
        'Collect Events',
        'Guard',
        'Restart',
        'Verify',
        'Notify Recovered',
        'Request Approval',
        'Rollback',
        'Escalate',
        'Cluster Dump',
        'Report',
        'Release Lock',
      ]),
    );
    for (const fixture of fixtures) {
      expect(readdirSync(DIR)).toContain(fixtureFile(fixture.state));
    }
  });

  it.each(fixtures.map((f) => [f.state, f] as const))(
    "%s: the registry's folder for the state accepts its document",
    (_state, fixture) => {
      // Prepare
      const folders = INCIDENT_STEPS.filter((step) => stepDefinition(step).states.includes(fixture.state));

      // Act + Assess: Open Incident gets the execution input; every other Task the state document.
      expect(folders).toEqual([fixture.folder]);
      if (fixture.state === 'Open Incident')
        expect(() => parseExecutionInput(fixture.document)).not.toThrow();
      else expect(checkStepState(fixture.folder, eventOf(fixture))).toBeDefined();
    },
  );

  it('refuses a captured document with a field a step reads taken out, naming the field', () => {
    // Prepare: Restart's document as captured, less the target's name.
    const restart = fixtures.find((f) => f.state === 'Restart')!;
    const incident = restart.document.incident as { target: Record<string, unknown> };
    const broken = {
      ...restart,
      document: {
        ...restart.document,
        incident: { ...incident, target: { ...incident.target, name: undefined } },
      },
    };

    // Act
    const check = () => checkStepState('restart', eventOf(broken));

    // Assess
    expect(check).toThrow(StateDocumentError);
    expect(check).toThrow('state.incident.target.name');
  });
});
