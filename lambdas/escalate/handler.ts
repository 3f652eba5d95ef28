import type { Escalation, StepEvent } from '../shared/contracts';
import { escalateEnv, parseEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { evidenceFromEnv, notifierFromEnv, perContainer } from '../shared/wiring';
import { escalate, type EscalateDeps } from './escalate';

const dependencies = perContainer<EscalateDeps>(async () => {
  const env = parseEnv(escalateEnv);
  const { bucket, region } = await evidenceFromEnv(env);
  const log = createLogger({ fields: { function: 'escalate' } });
  return { notifier: notifierFromEnv(env, log), bucket, region, now: () => new Date() };
});

export const handler = async (event: StepEvent): Promise<Escalation> => escalate(event, await dependencies());
