import type { Diagnostics, StepEvent } from '../shared/contracts';
import { diagnoseEnv, parseEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import { loadRules } from '../shared/rules/load-rules';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { evidenceFromEnv } from '../shared/wiring';
import { diagnose, type DiagnoseDeps } from './diagnose';
import { diagnosisMetrics, publish } from '../shared/observability/incident-metrics';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const observability = handlerObservability(environment, seams);
  const dependencies = perContainer<DiagnoseDeps>(async () => {
    const env = parseEnv(diagnoseEnv, environment);
    const now = seams.now ?? (() => new Date());
    return {
      kube: await stepKubernetesFromEnv('diagnose', env, environment, seams),
      evidence: (await evidenceFromEnv(env, { aws: awsClientConfig(environment, 'S3'), now })).store,
      tailLines: env.LOG_TAIL_LINES,
      limitBytes: env.LOG_LIMIT_BYTES,
      now,
      rules: loadRules(env.RULES_FILE),
    };
  });
  return observedHandler(
    'diagnose',
    async (event: StepEvent): Promise<Diagnostics> => {
      const diagnostics = await diagnose(checkStepState('diagnose', event), await dependencies());
      publish(diagnosisMetrics(diagnostics), observability.metrics);
      return diagnostics;
    },
    observability.log,
  );
}

export const handler = createHandler(process.env);
