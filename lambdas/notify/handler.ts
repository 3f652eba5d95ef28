import type { Incident, Notified, StepEvent } from '../shared/contracts';
import { notifyEnv, parseEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { evidenceFromEnv, notifierFromEnv, perContainer } from '../shared/wiring';
import { notify, type NotifyDeps } from './notify';

const dependencies = perContainer<NotifyDeps>(async () => {
  const env = parseEnv(notifyEnv);
  const { bucket, region } = await evidenceFromEnv(env);
  const log = createLogger({ fields: { function: 'notify' } });
  return { notifier: notifierFromEnv(env, log), bucket, region, now: () => new Date() };
});

export const handler = (event: StepEvent<unknown>): Promise<Incident | Notified> =>
  notify(event, dependencies);
