import type { Diagnostics, StepEvent } from '../shared/contracts';
import { diagnoseEnv, parseEnv } from '../shared/env';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { loadRules } from '../shared/rules/load-rules';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { diagnose, type DiagnoseDeps } from './diagnose';
import { diagnosisMetrics, publish } from '../shared/observability/incident-metrics';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<DiagnoseDeps>(async () => {
  const env = parseEnv(diagnoseEnv);
  return {
    kube: await kubernetesFromEnv(env),
    evidence: (await evidenceFromEnv(env)).store,
    tailLines: env.LOG_TAIL_LINES,
    limitBytes: env.LOG_LIMIT_BYTES,
    now: () => new Date(),
    rules: loadRules(env.RULES_FILE),
  };
});

export const handler = observedHandler('diagnose', async (event: StepEvent): Promise<Diagnostics> => {
  const diagnostics = await diagnose(event, await dependencies());
  publish(diagnosisMetrics(diagnostics));
  return diagnostics;
});
