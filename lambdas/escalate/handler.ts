import type { Escalation, StepEvent } from '../shared/contracts';
import { escalateEnv, parseEnv } from '../shared/env';
import { notifierFromEnv } from '../shared/notify-wiring';
import { perContainer } from '../shared/per-container';
import { escalate, type EscalateDeps } from './escalate';
import { functionLogger, observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<EscalateDeps>(async () => {
  const env = parseEnv(escalateEnv);
  const log = functionLogger();
  const { notifier, region } = await notifierFromEnv(env, log);
  return { notifier, bucket: env.EVIDENCE_BUCKET, region, now: () => new Date() };
});

export const handler = observedHandler('escalate', async (event: StepEvent): Promise<Escalation> =>
  escalate(event, await dependencies()),
);
