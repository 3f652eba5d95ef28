import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { secretValue } from '../shared/approval/secret-value';
import { alertmanagerAuthorization } from '../shared/alertmanager-auth';
import type { GuardDecision, LockRelease, StepEvent, StormRoster } from '../shared/contracts';
import { guardEnv, parseEnv } from '../shared/env';
import { SfnExecutionLiveness } from '../shared/execution-liveness';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { AlertmanagerSilences } from '../shared/alertmanager-silences';
import { guard, type GuardDeps } from './guard';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<GuardDeps>(async () => {
    const env = parseEnv(guardEnv, environment);
    const secrets =
      seams.secrets ??
      ((arn: string) =>
        secretValue(new SecretsManagerClient(awsClientConfig(environment, 'SECRETS_MANAGER')), arn));
    const authorization = env.ALERTMANAGER_AUTH_SECRET_ARN
      ? alertmanagerAuthorization(await secrets(env.ALERTMANAGER_AUTH_SECRET_ARN))
      : undefined;
    return {
      kube: await stepKubernetesFromEnv('guard', env, environment, seams),
      config: {
        allowedNamespaces: env.ALLOWED_NAMESPACES,
        allowedWorkloads: env.ALLOWED_WORKLOADS,
        cooldownSeconds: env.COOLDOWN_SECONDS,
        lockTtlSeconds: env.LOCK_TTL_SECONDS,
        stormBrake: { budget: env.REMEDIATION_BUDGET, ledgerNamespace: env.BUDGET_LEDGER_NAMESPACE },
        remediationPolicy: env.REMEDIATION_POLICY,
      },
      now: seams.now ?? (() => new Date()),
      executions:
        seams.executions ?? new SfnExecutionLiveness(new SFNClient(awsClientConfig(environment, 'SFN'))),
      silences:
        env.ALERTMANAGER_URL && env.EVIDENCE_BUCKET
          ? {
              port: new AlertmanagerSilences(env.ALERTMANAGER_URL, { authorization }),
              evidenceBucket: env.EVIDENCE_BUCKET,
              // Alertmanager runs on the wall clock, whatever scale the cluster's clock has.
              now: () => new Date(),
            }
          : undefined,
    };
  });
  return observedHandler(
    'guard',
    async (event: StepEvent): Promise<GuardDecision | LockRelease | StormRoster> =>
      guard(checkStepState('guard', event), await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
