import type { ReportResult, StepEvent } from '../shared/contracts';
import { parseEnv, reportEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { evidenceFromEnv } from '../shared/wiring';
import { report, type ReportDeps } from './report';
import { outcomeMetrics, publish } from '../shared/observability/incident-metrics';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const observability = handlerObservability(environment, seams);
  const dependencies = perContainer<ReportDeps>(async () => {
    const env = parseEnv(reportEnv, environment);
    const now = seams.now ?? (() => new Date());
    return {
      evidence: (await evidenceFromEnv(env, { aws: awsClientConfig(environment, 'S3'), now })).store,
      now,
    };
  });
  return observedHandler(
    'report',
    async (event: StepEvent): Promise<ReportResult> => {
      const deps = await dependencies();
      const result = await report(checkStepState('report', event), deps);
      publish(outcomeMetrics(event.state, result, deps.now()), observability.metrics);
      return result;
    },
    observability.log,
  );
}

export const handler = createHandler(process.env);
