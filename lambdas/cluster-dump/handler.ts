import type { ClusterDump, StepEvent } from '../shared/contracts';
import { clusterDumpEnv, parseEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { evidenceFromEnv } from '../shared/wiring';
import { clusterDump, type ClusterDumpDeps } from './cluster-dump';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<ClusterDumpDeps>(async () => {
    const env = parseEnv(clusterDumpEnv, environment);
    const evidence = await evidenceFromEnv(env, { aws: awsClientConfig(environment, 'S3'), now: seams.now });
    return {
      kube: await stepKubernetesFromEnv('cluster-dump', env, environment, seams),
      evidence: evidence.store,
      maxBytes: env.DUMP_MAX_BYTES,
      concurrency: env.DUMP_CONCURRENCY,
      logLimitBytes: env.LOG_LIMIT_BYTES,
      logs: env.DUMP_LOGS,
    };
  });
  return observedHandler(
    'cluster-dump',
    async (event: StepEvent): Promise<ClusterDump> =>
      clusterDump(checkStepState('cluster-dump', event), await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
