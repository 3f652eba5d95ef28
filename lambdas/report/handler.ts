import type { ReportResult, StepEvent } from '../shared/contracts';
import { parseEnv, reportEnv } from '../shared/env';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { report, type ReportDeps } from './report';
import { outcomeMetrics, publish } from '../shared/observability/incident-metrics';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<ReportDeps>(async () => {
  const env = parseEnv(reportEnv);
  return { evidence: (await evidenceFromEnv(env)).store, now: () => new Date() };
});

export const handler = observedHandler('report', async (event: StepEvent): Promise<ReportResult> => {
  const deps = await dependencies();
  const result = await report(event, deps);
  publish(outcomeMetrics(event.state, result, deps.now()));
  return result;
});
