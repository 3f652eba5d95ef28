import type { ClusterDump, StepEvent } from '../shared/contracts';
import { clusterDumpEnv, parseEnv } from '../shared/env';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { clusterDump, type ClusterDumpDeps } from './cluster-dump';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<ClusterDumpDeps>(async () => {
  const env = parseEnv(clusterDumpEnv);
  return {
    kube: await kubernetesFromEnv(env),
    evidence: (await evidenceFromEnv(env)).store,
    maxBytes: env.DUMP_MAX_BYTES,
    concurrency: env.DUMP_CONCURRENCY,
    logLimitBytes: env.LOG_LIMIT_BYTES,
    logs: env.DUMP_LOGS,
  };
});

export const handler = observedHandler('cluster-dump', async (event: StepEvent): Promise<ClusterDump> =>
  clusterDump(event, await dependencies()),
);
