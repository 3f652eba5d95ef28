import type { RollbackResult, StepEvent } from '../shared/contracts';
import { parseEnv, remediateEnv } from '../shared/env';
import {
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import type { RemediateDeps } from '../shared/remediation';
import { rollback } from './rollback';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<RemediateDeps<StepKubernetes<'rollback'>>>(async () => {
    const env = parseEnv(remediateEnv, environment);
    return {
      kube: await stepKubernetesFromEnv('rollback', env, environment, seams),
      allowedNamespaces: env.ALLOWED_NAMESPACES,
      now: seams.now ?? (() => new Date()),
    };
  });
  return observedHandler(
    'rollback',
    async (event: StepEvent): Promise<RollbackResult> =>
      rollback(checkStepState('rollback', event), await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
