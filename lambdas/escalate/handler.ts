import type { Escalation, StepEvent } from '../shared/contracts';
import { escalateEnv, parseEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { notifierFromEnv } from '../shared/notify-wiring';
import { perContainer } from '../shared/per-container';
import { escalate, type EscalateDeps } from './escalate';

const dependencies = perContainer<EscalateDeps>(async () => {
  const env = parseEnv(escalateEnv);
  const log = createLogger({ fields: { function: 'escalate' } });
  const { notifier, region } = await notifierFromEnv(env, log);
  return { notifier, bucket: env.EVIDENCE_BUCKET, region, now: () => new Date() };
});

export const handler = async (event: StepEvent): Promise<Escalation> => escalate(event, await dependencies());
