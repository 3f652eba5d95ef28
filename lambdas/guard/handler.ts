import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { secretValue } from '../shared/approval/secret-value';
import { alertmanagerAuthorization } from '../shared/alertmanager-auth';
import type { GuardDecision, LockRelease, StepEvent, StormRoster } from '../shared/contracts';
import { guardEnv, parseEnv } from '../shared/env';
import { SfnExecutionLiveness } from '../shared/execution-liveness';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { AlertmanagerSilences } from '../shared/alertmanager-silences';
import { guard, type GuardDeps } from './guard';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<GuardDeps>(async () => {
  const env = parseEnv(guardEnv);
  const authorization = env.ALERTMANAGER_AUTH_SECRET_ARN
    ? alertmanagerAuthorization(
        await secretValue(new SecretsManagerClient({}), env.ALERTMANAGER_AUTH_SECRET_ARN),
      )
    : undefined;
  return {
    kube: await kubernetesFromEnv(env),
    config: {
      allowedNamespaces: env.ALLOWED_NAMESPACES,
      allowedWorkloads: env.ALLOWED_WORKLOADS,
      cooldownSeconds: env.COOLDOWN_SECONDS,
      lockTtlSeconds: env.LOCK_TTL_SECONDS,
      stormBrake: { budget: env.REMEDIATION_BUDGET, ledgerNamespace: env.BUDGET_LEDGER_NAMESPACE },
      remediationPolicy: env.REMEDIATION_POLICY,
    },
    now: () => new Date(),
    executions: new SfnExecutionLiveness(new SFNClient({})),
    silences:
      env.ALERTMANAGER_URL && env.EVIDENCE_BUCKET
        ? {
            port: new AlertmanagerSilences(env.ALERTMANAGER_URL, { authorization }),
            evidenceBucket: env.EVIDENCE_BUCKET,
            now: () => new Date(),
          }
        : undefined,
  };
});

export const handler = observedHandler(
  'guard',
  async (event: StepEvent): Promise<GuardDecision | LockRelease | StormRoster> =>
    guard(event, await dependencies()),
);
