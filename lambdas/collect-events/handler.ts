import type { CollectedEvents, StepEvent } from '../shared/contracts';
import { collectEventsEnv, parseEnv } from '../shared/env';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { collectEvents, type CollectEventsDeps } from './collect-events';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<CollectEventsDeps>(async () => {
  const env = parseEnv(collectEventsEnv);
  return {
    kube: await kubernetesFromEnv(env),
    evidence: (await evidenceFromEnv(env)).store,
    now: () => new Date(),
  };
});

export const handler = observedHandler('collect-events', async (event: StepEvent): Promise<CollectedEvents> =>
  collectEvents(event, await dependencies()),
);
