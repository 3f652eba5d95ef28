import type { RollbackResult, StepEvent } from '../shared/contracts';
import { parseEnv, remediateEnv } from '../shared/env';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import type { RemediateDeps } from '../shared/remediation';
import { rollback } from './rollback';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<RemediateDeps>(async () => {
  const env = parseEnv(remediateEnv);
  return {
    kube: await kubernetesFromEnv(env),
    allowedNamespaces: env.ALLOWED_NAMESPACES,
    now: () => new Date(),
  };
});

export const handler = observedHandler('rollback', async (event: StepEvent): Promise<RollbackResult> =>
  rollback(event, await dependencies()),
);
