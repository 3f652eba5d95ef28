import type { EKSClient } from '@aws-sdk/client-eks';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../../../../lambdas/shared/errors';
import {
  eksKubeConfig,
  eksKubeConfigFromEnv,
  kubernetesApis,
  localKubeConfig,
} from '../../../../lambdas/shared/kubernetes/client';
import { EksTokenCache, type AwsCredentials } from '../../../../lambdas/shared/kubernetes/eks-token';
import { ClientNodePodLogs } from '../../../../lambdas/shared/kubernetes/ports/pod-logs';
import { KubeClient } from '../../../../lambdas/shared/kubernetes/ports/kube-client';

const CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
// Any PEM works: the CA is only handed to the TLS layer, never parsed here.
const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString(
  'base64',
);
const ENDPOINT = 'https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com';

/** An EKS client double: DescribeCluster answers from `describe`, every call is counted. */
function fakeEks(describe: () => Promise<unknown>): { eks: EKSClient; calls: string[] } {
  const calls: string[] = [];
  const eks = {
    config: { region: async () => 'eu-west-1', credentials: async () => CREDENTIALS },
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      calls.push(`${command.constructor.name} ${JSON.stringify(command.input)}`);
      return describe();
    },
  };
  return { eks: eks as unknown as EKSClient, calls };
}

function describeAnswer(): unknown {
  return { cluster: { name: 'prod', endpoint: ENDPOINT, certificateAuthority: { data: CA_DATA } } };
}

describe('eksKubeConfig', () => {
  it('puts the current EKS token on API requests and on the options watches and logs use', async () => {
    // Prepare
    const tokens = new EksTokenCache({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials: async () => CREDENTIALS,
    });
    const kc = eksKubeConfig(
      { name: 'prod', region: 'eu-west-1', endpoint: ENDPOINT, caData: CA_DATA },
      tokens,
    );
    const context = new RequestContext(`${ENDPOINT}/api/v1/namespaces`, HttpMethod.GET);
    const httpsOptions: { headers?: Record<string, string>; ca?: Buffer } = {};

    // Act
    await kc.applySecurityAuthentication(context);
    await kc.applyToHTTPSOptions(httpsOptions);

    // Assess
    const expected = `Bearer ${await tokens.token()}`;
    expect(context.getHeaders().Authorization).toBe(expected);
    expect(httpsOptions.headers?.Authorization).toBe(expected);
    expect(expected).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    expect(httpsOptions.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(kc.getCurrentCluster()?.server).toBe(ENDPOINT);
  });
});

describe('eksKubeConfigFromEnv', () => {
  it('uses CLUSTER_ENDPOINT and CLUSTER_CA_DATA without calling EKS', async () => {
    // Prepare
    const { eks, calls } = fakeEks(async () => describeAnswer());

    // Act
    const kc = await eksKubeConfigFromEnv(
      { CLUSTER_NAME: 'env-only', CLUSTER_ENDPOINT: ENDPOINT, CLUSTER_CA_DATA: CA_DATA },
      eks,
    );

    // Assess
    expect(kc.getCurrentCluster()).toMatchObject({ server: ENDPOINT, caData: CA_DATA });
    expect(calls).toEqual([]);
  });

  it('reads the endpoint with DescribeCluster once per container', async () => {
    // Prepare
    const { eks, calls } = fakeEks(async () => describeAnswer());
    const env = { CLUSTER_NAME: 'described-once' };

    // Act
    const first = await eksKubeConfigFromEnv(env, eks);
    const second = await eksKubeConfigFromEnv(env, eks);

    // Assess
    expect(second).toBe(first);
    expect(first.getCurrentCluster()?.server).toBe(ENDPOINT);
    expect(calls).toEqual(['DescribeClusterCommand {"name":"described-once"}']);
  });

  it('does not keep a failed DescribeCluster: the next invocation asks again', async () => {
    // Prepare
    let attempt = 0;
    const { eks, calls } = fakeEks(async () => {
      attempt++;
      if (attempt === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return describeAnswer();
    });
    const env = { CLUSTER_NAME: 'flaky' };

    // Act
    const failure = await eksKubeConfigFromEnv(env, eks).catch((error: Error) => error);
    const kc = await eksKubeConfigFromEnv(env, eks);

    // Assess
    expect((failure as Error).name).toBe('ThrottlingException');
    expect(kc.getCurrentCluster()?.server).toBe(ENDPOINT);
    expect(calls).toHaveLength(2);
  });

  it('fails with ConfigurationError for a cluster EKS reports without an endpoint', async () => {
    // Prepare
    const { eks } = fakeEks(async () => ({ cluster: { name: 'creating', status: 'CREATING' } }));

    // Act
    const failure = await eksKubeConfigFromEnv({ CLUSTER_NAME: 'creating' }, eks).catch(
      (error: Error) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toBe(
      'EKS cluster "creating" has no endpoint or certificate authority yet',
    );
  });
});

describe('localKubeConfig', () => {
  const kubeconfig = `
apiVersion: v1
kind: Config
clusters:
  - name: kind-dev
    cluster: { server: 'https://127.0.0.1:6443', certificate-authority-data: ${CA_DATA} }
  - name: sandbox
    cluster: { server: 'http://127.0.0.1:8080', insecure-skip-tls-verify: true }
users:
  - name: dev
    user: { token: abc }
contexts:
  - name: kind-dev
    context: { cluster: kind-dev, user: dev }
  - name: sandbox
    context: { cluster: sandbox, user: dev }
current-context: kind-dev
`;

  it('loads YAML and switches to the context asked for', () => {
    // Act
    const kc = localKubeConfig({ yaml: kubeconfig, context: 'sandbox' });

    // Assess
    expect(kc.getCurrentCluster()?.server).toBe('http://127.0.0.1:8080');
  });

  it('loads a file and keeps its current-context', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    const file = join(dir, 'config');
    await writeFile(file, kubeconfig);

    try {
      // Act
      const kc = localKubeConfig({ file });

      // Assess
      expect(kc.getCurrentContext()).toBe('kind-dev');
      expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the known contexts when the one asked for is missing', () => {
    // Act
    const call = () => localKubeConfig({ yaml: kubeconfig, context: 'prod' });

    // Assess
    expect(call).toThrow(ConfigurationError);
    expect(call).toThrow('kubeconfig has no context "prod"; it has: kind-dev, sandbox');
  });
});

describe('kubernetesApis', () => {
  it('reuses kept-alive connections across requests, where client-node alone opens one per request', async () => {
    // Prepare
    let connections = 0;
    const userAgents = new Set<string | undefined>();
    const server = createServer((req, res) => {
      userAgents.add(req.headers['user-agent']);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lock' } }),
      );
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kc = localKubeConfig({
      yaml: `{clusters: [{name: c, cluster: {server: '${url}', insecure-skip-tls-verify: true}}], users: [{name: u, user: {}}], contexts: [{name: c, context: {cluster: c, user: u}}], current-context: c}`,
    });
    const { coordination } = kubernetesApis(kc, 5000);

    try {
      // Act
      for (let i = 0; i < 10; i++)
        await coordination.readNamespacedLease({ namespace: 'team', name: 'lock' });

      // Assess
      // undici may open a second connection while the first is being released; never one per request.
      expect(connections).toBeLessThanOrEqual(2);
      expect([...userAgents]).toEqual(['eks-incident-response']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('ClientNodePodLogs', () => {
  it('reads a log as client-node asks for it, with the kubeconfig`s token, on kept-alive connections', async () => {
    // Prepare
    let connections = 0;
    const seen: Array<{ url?: string; authorization?: string; userAgent?: string }> = [];
    const server = createServer((req, res) => {
      seen.push({
        url: req.url,
        authorization: req.headers.authorization,
        userAgent: req.headers['user-agent'],
      });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      // A byte-order mark, as a container may write one: fetch's text() drops it, so does the read.
      res.end('\ufeffstarting\nready 密码 no\n');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kc = localKubeConfig({
      yaml: `{clusters: [{name: c, cluster: {server: '${url}', insecure-skip-tls-verify: true}}], users: [{name: u, user: {token: t0ken}}], contexts: [{name: c, context: {cluster: c, user: u}}], current-context: c}`,
    });
    const logs = new ClientNodePodLogs(new KubeClient(kc, { requestTimeoutMs: 5000 }));

    try {
      // Act
      const texts: string[] = [];
      for (let i = 0; i < 10; i++)
        texts.push(await logs.readLog('team', 'web-0', 'app', { previous: i === 0, limitBytes: 1024 }));
      await logs.readLog('team', 'web-0', 'app');

      // Assess
      expect(new Set(texts)).toEqual(new Set(['starting\nready 密码 no\n']));
      expect(seen[0].url).toBe(
        '/api/v1/namespaces/team/pods/web-0/log?container=app&limitBytes=1024&previous=true',
      );
      expect(seen[1].url).toBe(
        '/api/v1/namespaces/team/pods/web-0/log?container=app&limitBytes=1024&previous=false',
      );
      expect(seen[10].url).toBe('/api/v1/namespaces/team/pods/web-0/log?container=app');
      expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set(['Bearer t0ken']));
      expect(new Set(seen.map((s) => s.userAgent))).toEqual(new Set(['eks-incident-response']));
      expect(connections).toBeLessThanOrEqual(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
