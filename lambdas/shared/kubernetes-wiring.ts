import { EKSClient } from '@aws-sdk/client-eks';
import type { z } from 'zod';
import type { kubeEnv } from './env';
import {
  awsClientConfig,
  type AwsClientSettings,
  type FunctionEnvironment,
  type HandlerSeams,
} from './handler-environment';
import { eksKubeConfigFromEnv } from './kubernetes/client';
import { ClientNodeKubernetes, type KubernetesPort } from './kubernetes/kubernetes-port';
import { stepKubernetes, type KubernetesStep, type StepKubernetes } from './kubernetes/step-access';

/**
 * The EKS-backed Kubernetes adapter of a handler. Kept apart from wiring.ts so that the
 * functions that never talk to Kubernetes (notify, escalate, report) do not bundle its client.
 */
export async function kubernetesFromEnv(
  env: z.output<typeof kubeEnv>,
  /** The EKS client's settings (region, credentials that sign the token) from an explicit environment. */
  aws: AwsClientSettings = {},
): Promise<KubernetesPort> {
  const kubeConfig = await eksKubeConfigFromEnv(env, new EKSClient({ ...aws }));
  return new ClientNodeKubernetes(kubeConfig, { requestTimeoutMs: env.KUBE_REQUEST_TIMEOUT_MS });
}

/**
 * A step handler's Kubernetes dependency: the seam's port where a local run gives one, else the
 * EKS adapter of the function's environment; either way narrowed to what the step declares.
 */
export async function stepKubernetesFromEnv<S extends Exclude<KubernetesStep, 'intake'>>(
  step: S,
  env: z.output<typeof kubeEnv>,
  environment: FunctionEnvironment,
  seams: Pick<HandlerSeams, 'kubernetes'>,
): Promise<StepKubernetes<S>> {
  return stepKubernetes(
    step,
    seams.kubernetes ?? (await kubernetesFromEnv(env, awsClientConfig(environment, 'EKS'))),
  );
}
