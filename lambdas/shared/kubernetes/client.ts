import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  EventsV1Api,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type Middleware,
  type RequestContext,
  type User,
} from '@kubernetes/client-node';
import { ConfigurationError } from '../errors';
import { EksTokenCache, type AwsCredentialsProvider } from './eks-token';
import { rereadableBodyMiddleware } from './served-json';

/**
 * How the Lambdas (and the local engine) get a client-node KubeConfig: for EKS from the
 * cluster's endpoint and CA plus an IAM-derived token, locally from a kubeconfig. Every API
 * client made here carries a client-side timeout, so a hung API server fails one request
 * with KubernetesTimeoutError instead of the whole Lambda at its own timeout.
 */

/** The auth-provider name that selects the EKS token authenticator for a kubeconfig user. */
const EKS_AUTH_PROVIDER = 'eks-incident-response/iam-token';
export const USER_AGENT = 'eks-incident-response';

/** client-node's Authenticator interface (not exported by name). */
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

/** Puts the current EKS token on every request (API calls, watches and logs alike). */
class EksTokenAuthenticator implements Authenticator {
  constructor(private readonly tokens: EksTokenCache) {}

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: string } | undefined)?.name === EKS_AUTH_PROVIDER;
  }

  async applyAuthentication(_user: User, opts: { headers?: Record<string, unknown> }): Promise<void> {
    opts.headers = { ...opts.headers, Authorization: `Bearer ${await this.tokens.token()}` };
  }
}

export interface EksCluster {
  name: string;
  region: string;
  /** https URL of the API server. */
  endpoint: string;
  /** Base64 PEM of the cluster CA, as EKS and kubeconfig files carry it. */
  caData: string;
}

/** A KubeConfig for an EKS cluster whose requests carry tokens from `tokens`. */
export function eksKubeConfig(cluster: EksCluster, tokens: EksTokenCache): KubeConfig {
  const kc = new KubeConfig();
  kc.addAuthenticator(new EksTokenAuthenticator(tokens));
  kc.loadFromOptions({
    clusters: [
      { name: cluster.name, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false },
    ],
    users: [{ name: 'lambda', authProvider: { name: EKS_AUTH_PROVIDER, config: {} } }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: 'lambda' }],
    currentContext: cluster.name,
  });
  return kc;
}

/** The endpoint and CA of a cluster, read with eks:DescribeCluster. */
export async function describeEksCluster(eks: EKSClient, name: string): Promise<Omit<EksCluster, 'region'>> {
  const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
  const endpoint = cluster?.endpoint;
  const caData = cluster?.certificateAuthority?.data;
  if (!endpoint || !caData) {
    throw new ConfigurationError(`EKS cluster "${name}" has no endpoint or certificate authority yet`);
  }
  return { name, endpoint, caData };
}

/** The variables of `kubeEnv` (lambdas/shared/env.ts) this module reads. */
export interface EksEnv {
  CLUSTER_NAME: string;
  CLUSTER_ENDPOINT?: string;
  CLUSTER_CA_DATA?: string;
}

const containerKubeConfigs = new Map<string, Promise<KubeConfig>>();

/**
 * The KubeConfig of the function's cluster, made once per Lambda container: endpoint and CA
 * from the environment when CDK put them there, else from DescribeCluster; the region and
 * credentials are the EKS client's (the function's role).
 */
export function eksKubeConfigFromEnv(env: EksEnv, eks: EKSClient): Promise<KubeConfig> {
  const key = JSON.stringify([env.CLUSTER_NAME, env.CLUSTER_ENDPOINT, env.CLUSTER_CA_DATA]);
  let kubeConfig = containerKubeConfigs.get(key);
  if (!kubeConfig) {
    kubeConfig = (async () => {
      const region = await eks.config.region();
      const location =
        env.CLUSTER_ENDPOINT && env.CLUSTER_CA_DATA
          ? { name: env.CLUSTER_NAME, endpoint: env.CLUSTER_ENDPOINT, caData: env.CLUSTER_CA_DATA }
          : await describeEksCluster(eks, env.CLUSTER_NAME);
      const credentials: AwsCredentialsProvider = () => eks.config.credentials();
      return eksKubeConfig(
        { ...location, region },
        new EksTokenCache({ clusterName: env.CLUSTER_NAME, region, credentials }),
      );
    })();
    // A failed DescribeCluster must not stick to the container: the next invocation retries.
    kubeConfig.catch(() => containerKubeConfigs.delete(key));
    containerKubeConfigs.set(key, kubeConfig);
  }
  return kubeConfig;
}

export interface LocalKubeConfigOptions {
  /** Path of a kubeconfig file; `KUBECONFIG` / `~/.kube/config` when neither this nor `yaml` is set. */
  file?: string;
  /** A kubeconfig as YAML (the sandbox hands one out). */
  yaml?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
}

/** A KubeConfig from a kubeconfig: the sandbox, kind, minikube, or an EKS context of the user's. */
export function localKubeConfig(options: LocalKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.yaml !== undefined) kc.loadFromString(options.yaml);
  else if (options.file !== undefined) kc.loadFromFile(options.file);
  else kc.loadFromDefault();
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigurationError(
        `kubeconfig has no context "${options.context}"; it has: ${known.join(', ') || '(none)'}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster())
    throw new ConfigurationError('kubeconfig has no current context with a cluster');
  return kc;
}

/**
 * Aborts a request that has not been fully answered after `timeoutMs`. client-node 2 sends
 * through undici's fetch with the request context's AbortSignal, and the signal also covers
 * reading the body, so a server that stalls mid-answer is cut off too.
 */
export function timeoutMiddleware(timeoutMs: number): Middleware {
  return {
    pre: async (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return context;
    },
    post: async (response) => response,
  };
}

/**
 * client-node 2 builds a new undici Agent for every request whose cluster has TLS settings
 * (a CA, client certificates, insecure-skip-tls-verify), so no connection is ever reused and
 * every EKS request pays a TLS handshake. The settings come from one kubeconfig context and do
 * not change between requests, so the first Agent serves them all; the others are dropped
 * before they open a connection.
 */
export function reuseConnectionsMiddleware(): Middleware {
  let shared: ReturnType<RequestContext['getDispatcher']>;
  return {
    pre: async (context) => {
      const dispatcher = context.getDispatcher();
      if (dispatcher) {
        shared ??= dispatcher;
        context.setDispatcher(shared);
      }
      return context;
    },
    post: async (response) => response,
  };
}

/** The API groups the workflow uses, each client bounded by the request timeout. */
export interface KubernetesApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  events: EventsV1Api;
  discovery: DiscoveryV1Api;
  coordination: CoordinationV1Api;
}

/**
 * For a caller that reads only the served JSON (served-json.ts), such as the cluster dump:
 * client-node's response processor would still build its model of every item of a page (a
 * class instance per object, a Date per timestamp) for the caller to throw away. Told that a
 * successful body is text, the processor hands the text through; the caller parses it once.
 * Error answers keep their content type, so their ApiException carries the server's Status.
 */
export function servedTextMiddleware(): Middleware {
  return {
    pre: async (context) => context,
    post: async (response) => {
      if (response.httpStatusCode >= 200 && response.httpStatusCode < 300) {
        response.headers['content-type'] = 'text/plain';
      }
      return response;
    },
  };
}

export interface KubernetesApisOptions {
  /** Successful answers are only read as served JSON: skip client-node's models (servedTextMiddleware). */
  servedOnly?: boolean;
}

/** API clients like `kc.makeApiClient` makes them, plus the timeout. */
export function kubernetesApis(
  kc: KubeConfig,
  timeoutMs: number,
  options: KubernetesApisOptions = {},
): KubernetesApis {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ConfigurationError('kubeconfig has no current cluster');
  const reuseConnections = reuseConnectionsMiddleware();
  const configuration = (): Configuration =>
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        reuseConnections,
        timeoutMiddleware(timeoutMs),
        // Evidence reads the served JSON (served-json.ts) after client-node has read the body.
        rereadableBodyMiddleware(),
        {
          pre: async (context) => {
            context.setHeaderParam('User-Agent', USER_AGENT);
            return context;
          },
          post: async (response) => response,
        },
        ...(options.servedOnly ? [servedTextMiddleware()] : []),
      ],
    });
  return {
    core: new CoreV1Api(configuration()),
    apps: new AppsV1Api(configuration()),
    batch: new BatchV1Api(configuration()),
    events: new EventsV1Api(configuration()),
    discovery: new DiscoveryV1Api(configuration()),
    coordination: new CoordinationV1Api(configuration()),
  };
}
