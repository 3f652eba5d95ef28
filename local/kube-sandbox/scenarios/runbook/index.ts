import type { Scenario } from '../types';
import type { InexpressibleRow, RunbookCase } from './case';
import { AIKV_ROWS } from './aikv-rows';
import { COMPOSE_ROWS } from './compose-rows';
import { HANDBOOK_ROWS } from './handbook-rows';
import { KUBERNETES_ROWS } from './kubernetes-rows';
import { OTLP_ROWS } from './otlp-rows';

export type { InexpressibleRow, RunbookCase } from './case';

/** One case per symptom → cause → fix row of the five runbooks (reference/runbooks/). */
export const RUNBOOK_CASES: readonly RunbookCase[] = [
  ...KUBERNETES_ROWS,
  ...COMPOSE_ROWS,
  ...OTLP_ROWS,
  ...AIKV_ROWS,
  ...HANDBOOK_ROWS,
];

/** Rows the sandbox cannot express yet, and why (docs/diagnosis.md lists them). */
export const INEXPRESSIBLE_ROWS: readonly InexpressibleRow[] = [];

/** Each case as a named sandbox scenario (`eks-incident demo --scenario NAME`). */
export function runbookScenario(c: RunbookCase): Scenario {
  const { namespace, kind, name } = c.target;
  return {
    name: c.name,
    description: `${c.runbook.file} § ${c.runbook.section}: ${c.runbook.row}`,
    examples: [
      `kubectl get pods -n ${namespace}`,
      `kubectl logs -n ${namespace} ${kind.toLowerCase()}/${name} --previous`,
      `kubectl events -n ${namespace}`,
    ],
    objects: (now) => c.objects(now),
    ...(c.setup ? { setup: c.setup } : {}),
  };
}

export function runbookCase(name: string): RunbookCase | undefined {
  return RUNBOOK_CASES.find((c) => c.name === name);
}
