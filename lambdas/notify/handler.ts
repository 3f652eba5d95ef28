import type { Incident, Notified, StepEvent } from '../shared/contracts';
import { notifyEnv, parseEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { notifierFromEnv } from '../shared/notify-wiring';
import { perContainer } from '../shared/per-container';
import { notify, type NotifyDeps } from './notify';

const dependencies = perContainer<NotifyDeps>(async () => {
  const env = parseEnv(notifyEnv);
  const log = createLogger({ fields: { function: 'notify' } });
  const { notifier, region } = await notifierFromEnv(env, log);
  return { notifier, bucket: env.EVIDENCE_BUCKET, region, now: () => new Date() };
});

export const handler = (event: StepEvent<unknown>): Promise<Incident | Notified> =>
  notify(event, dependencies);
