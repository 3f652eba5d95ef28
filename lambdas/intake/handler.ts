import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { intakeEnv, parseEnv } from '../shared/env';
import { functionLogger } from '../shared/observability/observed-handler';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { isTransient } from './errors';
import { SfnExecutionStarter } from './execution-starter';
import { respond, type HttpAnswer } from './http';
import type { IntakeDeps } from './intake';
import { CachingOwnerLookup, type OwnerLookup } from './owner-lookup';
import { secretsManagerToken } from './webhook-token';

/** The parts of an API Gateway HTTP API (payload format 2.0) request the intake reads. */
export interface HttpApiEvent {
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

const log = functionLogger();

const dependencies = perContainer<IntakeDeps>(async () => {
  const env = parseEnv(intakeEnv);
  // The cluster is only asked about alerts that name a pod or a ReplicaSet: the Kubernetes and
  // EKS clients are loaded and connected on first use, so a cold start for a delivery that names
  // its workload (kube-state-metrics' deployment, statefulset labels) loads neither.
  const cluster = perContainer(async () =>
    (await import('./cluster-owner-lookup.js')).connectOwnerLookup(env),
  );
  const owners: OwnerLookup = {
    controllerOf: async (namespace, kind, name) => (await cluster()).controllerOf(namespace, kind, name),
  };
  return {
    token: secretsManagerToken(new SecretsManagerClient({}), env.WEBHOOK_TOKEN_SECRET_ARN, {
      ttlMs: 300_000,
    }),
    starter: new SfnExecutionStarter(new SFNClient({}), env.STATE_MACHINE_ARN),
    evidence: (await evidenceFromEnv(env)).store,
    resolve: {
      rules: env.ALERT_TARGETS,
      owners: new CachingOwnerLookup(owners, { ttlMs: 600_000, maxEntries: 10_000 }),
      defaultNamespace: env.DEFAULT_NAMESPACE,
    },
    options: { dryRun: env.DRY_RUN },
    now: () => new Date(),
    log,
  };
});

/**
 * API Gateway HTTP API → the intake → an HTTP answer (see http.ts for the status codes). API
 * Gateway has read the body already (Lambda takes up to 6 MB); the intake checks the token
 * before its size.
 */
export const handler = async (
  event: HttpApiEvent,
  context?: Parameters<typeof log.addContext>[0],
): Promise<HttpAnswer> => {
  // The request id and cold start on each entry; the intake logs its deliveries itself.
  if (context) log.addContext(context);
  let deps: IntakeDeps;
  try {
    deps = await dependencies();
  } catch (error) {
    // A cold start that could not wire up (bad environment, Secrets Manager or EKS unreachable).
    log.error('the intake could not start', { error });
    return {
      statusCode: isTransient(error) ? 503 : 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'unavailable' }),
    };
  }
  const authorization = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'authorization',
  )?.[1];
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  return respond({ authorization, body }, deps);
};
