import { EKSClient } from '@aws-sdk/client-eks';
import type { KubeConfig, V1ObjectMeta } from '@kubernetes/client-node';
import type { z } from 'zod';
import type { intakeEnv } from '../shared/env';
import { KubernetesRequestError } from '../shared/errors';
import { eksKubeConfigFromEnv, kubernetesApis, type KubernetesApis } from '../shared/kubernetes/client';
import { request } from '../shared/kubernetes/errors';
import type { ControllerRef, OwnedKind, OwnerLookup } from './owner-lookup';

const PLURAL: Record<OwnedKind, string> = {
  Pod: 'pods',
  ReplicaSet: 'replicasets.apps',
  StatefulSet: 'statefulsets.apps',
  DaemonSet: 'daemonsets.apps',
};

export interface ClientNodeOwnerLookupOptions {
  /** Client-side timeout of one request: short, the intake answers within Alertmanager's timeout. */
  requestTimeoutMs: number;
}

/** OwnerLookup through @kubernetes/client-node, with the workflow's timeout and error mapping. */
export class ClientNodeOwnerLookup implements OwnerLookup {
  private readonly api: KubernetesApis;
  private readonly timeoutMs: number;

  constructor(kubeConfig: KubeConfig, options: ClientNodeOwnerLookupOptions) {
    this.api = kubernetesApis(kubeConfig, options.requestTimeoutMs);
    this.timeoutMs = options.requestTimeoutMs;
  }

  async controllerOf(
    namespace: string,
    kind: OwnedKind,
    name: string,
  ): Promise<{ controller?: ControllerRef } | undefined> {
    let metadata: V1ObjectMeta | undefined;
    try {
      metadata = (
        await request(`get ${PLURAL[kind]} ${namespace}/${name}`, this.timeoutMs, () =>
          this.read(namespace, kind, name),
        )
      ).metadata;
    } catch (error) {
      if (error instanceof KubernetesRequestError && error.status === 404) return undefined;
      throw error;
    }
    const owner = metadata?.ownerReferences?.find((ref) => ref.controller);
    return owner ? { controller: { kind: owner.kind, name: owner.name } } : {};
  }

  private read(namespace: string, kind: OwnedKind, name: string): Promise<{ metadata?: V1ObjectMeta }> {
    switch (kind) {
      case 'Pod':
        return this.api.core.readNamespacedPod({ namespace, name });
      case 'ReplicaSet':
        return this.api.apps.readNamespacedReplicaSet({ namespace, name });
      case 'StatefulSet':
        return this.api.apps.readNamespacedStatefulSet({ namespace, name });
      case 'DaemonSet':
        return this.api.apps.readNamespacedDaemonSet({ namespace, name });
    }
  }
}

/** The intake's lookup on the function's cluster: its EKS endpoint and token from the environment. */
export async function connectOwnerLookup(env: z.output<typeof intakeEnv>): Promise<OwnerLookup> {
  const kubeConfig = await eksKubeConfigFromEnv(env, new EKSClient({}));
  return new ClientNodeOwnerLookup(kubeConfig, { requestTimeoutMs: env.KUBE_REQUEST_TIMEOUT_MS });
}
