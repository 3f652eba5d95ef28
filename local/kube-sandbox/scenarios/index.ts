import { demo } from './demo';
import { RUNBOOK_CASES, runbookScenario } from './runbook';
import { scaleScenario } from './scale';
import type { Scenario } from './types';

const empty: Scenario = {
  name: 'empty',
  description: 'Only the base cluster: three Ready nodes and the system namespaces.',
  objects: () => [],
};

/** Every named scenario, by name: the demo, the scale test, and one per runbook row. */
export const SCENARIOS: Record<string, Scenario> = Object.fromEntries(
  [empty, demo, scaleScenario(), ...RUNBOOK_CASES.map(runbookScenario)].map((s) => [s.name, s]),
);
