import { SFNClient } from '@aws-sdk/client-sfn';
import type { GuardDecision, LockRelease, StepEvent } from '../shared/contracts';
import { guardEnv, parseEnv } from '../shared/env';
import { SfnExecutionLiveness } from '../shared/execution-liveness';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { guard, type GuardDeps } from './guard';

const dependencies = perContainer<GuardDeps>(async () => {
  const env = parseEnv(guardEnv);
  return {
    kube: await kubernetesFromEnv(env),
    config: {
      allowedNamespaces: env.ALLOWED_NAMESPACES,
      allowedWorkloads: env.ALLOWED_WORKLOADS,
      cooldownSeconds: env.COOLDOWN_SECONDS,
      lockTtlSeconds: env.LOCK_TTL_SECONDS,
    },
    now: () => new Date(),
    executions: new SfnExecutionLiveness(new SFNClient({})),
  };
});

export const handler = async (event: StepEvent): Promise<GuardDecision | LockRelease> =>
  guard(event, await dependencies());
