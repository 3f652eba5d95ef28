import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { IncidentTarget } from '../../lambdas/shared/contracts';
import { targetText } from '../../lambdas/shared/contracts';
import { kubernetesApis, localKubeConfig } from '../../lambdas/shared/kubernetes/client';
import { request } from '../../lambdas/shared/kubernetes/errors';
import { ClientNodeKubernetes, type KubernetesPort } from '../../lambdas/shared/kubernetes/kubernetes-port';
import { CliError } from './cli-error';

/** The cluster a local run acts on, from a kubeconfig as kubectl would read it. */
export interface Cluster {
  kubeConfig: KubeConfig;
  kube: KubernetesPort;
  /** The API server's URL. */
  server: string;
  context: string;
  /** A name for the stack configuration (`clusterName`), from the kubeconfig's cluster. */
  name: string;
  requestTimeoutMs: number;
}

export interface ClusterOptions {
  /** A kubeconfig file; KUBECONFIG or ~/.kube/config when unset, as for kubectl. */
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
}

const NO_KUBECONFIG_FIX =
  'pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config ' +
  '(EKS: aws eks update-kubeconfig --name CLUSTER; the sandbox: eks-incident sandbox --kubeconfig-out FILE)';

function defaultKubeconfigExists(): boolean {
  const fromEnv = process.env.KUBECONFIG?.split(process.platform === 'win32' ? ';' : ':').filter(Boolean);
  if (fromEnv?.length) return fromEnv.some((file) => existsSync(file));
  return existsSync(join(homedir(), '.kube', 'config')) || Boolean(process.env.KUBERNETES_SERVICE_HOST);
}

/**
 * EKS kubeconfigs name clusters by ARN (`arn:aws:eks:REGION:ACCOUNT:cluster/NAME`); others use
 * any text. The stack's `clusterName` only allows an EKS-style name, so keep what fits.
 */
function clusterNameOf(name: string): string {
  const eksName = /:cluster\/(.+)$/.exec(name)?.[1] ?? name;
  const cleaned = eksName.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 100) || 'local';
}

/** Reads the kubeconfig; every way it can be missing or wrong is one CliError with the fix. */
export function connectCluster(options: ClusterOptions): Cluster {
  if (options.kubeconfig !== undefined && !existsSync(options.kubeconfig)) {
    throw new CliError(`kubeconfig ${options.kubeconfig} not found: ${NO_KUBECONFIG_FIX}`);
  }
  if (options.kubeconfig === undefined && !defaultKubeconfigExists()) {
    throw new CliError(`no kubeconfig found: ${NO_KUBECONFIG_FIX}`);
  }
  let kubeConfig: KubeConfig;
  try {
    kubeConfig = localKubeConfig({ file: options.kubeconfig, context: options.context });
  } catch (error) {
    const source = options.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config';
    const message = (error as Error).message.split('\n')[0];
    throw new CliError(`cannot use kubeconfig ${source}: ${message}`);
  }
  const cluster = kubeConfig.getCurrentCluster()!;
  return {
    kubeConfig,
    kube: new ClientNodeKubernetes(kubeConfig, { requestTimeoutMs: options.requestTimeoutMs }),
    server: cluster.server,
    context: kubeConfig.getCurrentContext(),
    name: clusterNameOf(cluster.name),
    requestTimeoutMs: options.requestTimeoutMs,
  };
}

/**
 * Reads the target (for a namespace-level incident, its namespace) before anything starts, so
 * an unreachable cluster, refused credentials or a misspelled name fail as one line, with no
 * incident opened and no evidence written.
 */
export async function checkTarget(cluster: Cluster, target: IncidentTarget): Promise<void> {
  const where = `the Kubernetes API at ${cluster.server} (context ${cluster.context})`;
  try {
    if (target.kind === 'Namespace') {
      const core = kubernetesApis(cluster.kubeConfig, cluster.requestTimeoutMs).core;
      await request(`get namespaces ${target.namespace}`, cluster.requestTimeoutMs, () =>
        core.readNamespace({ name: target.namespace }),
      );
    } else {
      await cluster.kube.workloads.getWorkload(target);
    }
  } catch (error) {
    const e = error as Error & { status?: number };
    if (e.name === 'WorkloadNotFoundError' || e.status === 404) {
      throw new CliError(`${targetText(target)} not found in ${where}: check the input's target`);
    }
    if (e.status === 401 || e.status === 403) {
      throw new CliError(
        `${where} refused the request (${e.message}): check the credentials of context ${cluster.context}`,
      );
    }
    if (e.name === 'KubernetesTimeoutError' || e.name === 'TypeError' || e.name === 'FetchError') {
      throw new CliError(
        `cannot reach ${where}: ${networkReason(e)}; is the cluster running? (choose another with --kubeconfig/--context)`,
      );
    }
    throw new CliError(`${where} failed: ${e.message}`);
  }
}

function networkReason(error: Error): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
