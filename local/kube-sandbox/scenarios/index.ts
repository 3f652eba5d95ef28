import { demo } from './demo';
import { scaleScenario } from './scale';
import type { Scenario } from './types';

const empty: Scenario = {
  name: 'empty',
  description: 'Only the base cluster: three Ready nodes and the system namespaces.',
  objects: () => [],
};

/** Every named scenario, by name. */
export const SCENARIOS: Record<string, Scenario> = Object.fromEntries(
  [empty, demo, scaleScenario()].map((s) => [s.name, s]),
);
