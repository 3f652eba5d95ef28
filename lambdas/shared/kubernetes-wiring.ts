import { EKSClient } from '@aws-sdk/client-eks';
import type { z } from 'zod';
import type { kubeEnv } from './env';
import type { AwsClientSettings } from './handler-environment';
import { eksKubeConfigFromEnv } from './kubernetes/client';
import { ClientNodeKubernetes, type KubernetesPort } from './kubernetes/kubernetes-port';

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
