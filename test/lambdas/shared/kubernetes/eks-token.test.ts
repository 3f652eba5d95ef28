import { createHash, createHmac } from 'node:crypto';
import {
  createEksToken,
  EksTokenCache,
  type AwsCredentials,
} from '../../../../lambdas/shared/kubernetes/eks-token';

// The AWS documentation's example credentials: nothing here reaches AWS.
const CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN+/=',
};
const SIGNED_AT = new Date('2026-01-01T08:30:00Z');

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const encoded = token.slice('k8s-aws-v1.'.length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 for a presigned GET, written out from the AWS specification (what STS checks). */
function expectedSignature(url: URL, clusterName: string, credentials: AwsCredentials): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const canonicalQuery = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`,
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = url.searchParams.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const [day, region, service] = scope.split('/');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service),
    'aws4_request',
  );
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('createEksToken', () => {
  it('is a presigned STS GetCallerIdentity URL with the cluster header signed, base64url without padding', async () => {
    // Prepare
    const options = { clusterName: 'prod-eu', region: 'eu-west-1', credentials: async () => CREDENTIALS };

    // Act
    const { token, expiresAt } = await createEksToken(options, SIGNED_AT);

    // Assess
    const url = decode(token);
    expect(token).not.toContain('=');
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIAIOSFODNN7EXAMPLE/20260101/eu-west-1/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20260101T083000Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Security-Token')).toBe(CREDENTIALS.sessionToken);
    expect(q.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod-eu', CREDENTIALS));
    expect(expiresAt.toISOString()).toBe('2026-01-01T08:45:00.000Z');
  });

  it('signs for the China partition endpoint in cn- regions', async () => {
    // Act
    const { token } = await createEksToken(
      { clusterName: 'c', region: 'cn-north-1', credentials: async () => CREDENTIALS },
      SIGNED_AT,
    );

    // Assess
    const url = decode(token);
    expect(url.host).toBe('sts.cn-north-1.amazonaws.com.cn');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/\/cn-north-1\/sts\/aws4_request$/);
  });

  it('expires with the credentials when they expire before the 15 minutes', async () => {
    // Prepare
    const expiration = new Date(SIGNED_AT.getTime() + 5 * 60_000);

    // Act
    const { expiresAt } = await createEksToken(
      { clusterName: 'c', region: 'us-east-1', credentials: async () => ({ ...CREDENTIALS, expiration }) },
      SIGNED_AT,
    );

    // Assess
    expect(expiresAt).toEqual(expiration);
  });
});

describe('EksTokenCache', () => {
  it('reuses a token until a minute before it expires, then signs a new one', async () => {
    // Prepare
    let now = SIGNED_AT.getTime();
    let resolved = 0;
    const cache = new EksTokenCache(
      {
        clusterName: 'prod',
        region: 'eu-west-1',
        credentials: async () => {
          resolved++;
          return CREDENTIALS;
        },
      },
      () => new Date(now),
    );

    // Act
    const first = await cache.token();
    now += 13 * 60_000;
    const stillFirst = await cache.token();
    now += 60_000 + 1;
    const second = await cache.token();

    // Assess
    expect(stillFirst).toBe(first);
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get('X-Amz-Date')).toBe('20260101T084400Z');
    expect(resolved).toBe(2);
  });

  it('signs once for concurrent requests', async () => {
    // Prepare
    let resolved = 0;
    const cache = new EksTokenCache(
      {
        clusterName: 'prod',
        region: 'eu-west-1',
        credentials: async () => {
          resolved++;
          return CREDENTIALS;
        },
      },
      () => SIGNED_AT,
    );

    // Act
    const tokens = await Promise.all([cache.token(), cache.token(), cache.token()]);

    // Assess
    expect(new Set(tokens).size).toBe(1);
    expect(resolved).toBe(1);
  });
});
