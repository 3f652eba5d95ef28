import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * EKS bearer tokens, made the way aws-iam-authenticator (and `aws eks get-token`) make them:
 * a presigned STS GetCallerIdentity URL with the cluster name in the signed `x-k8s-aws-id`
 * header, base64url-encoded without padding behind `k8s-aws-v1.`. The API server's
 * authenticator calls that URL to learn who we are; nothing is sent to STS from here.
 */

/** AWS credentials as the SDK's credential providers resolve them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface EksTokenOptions {
  clusterName: string;
  region: string;
  credentials: AwsCredentialsProvider;
}

export interface EksToken {
  token: string;
  /** When the API server stops accepting it (earlier if the credentials expire first). */
  expiresAt: Date;
}

const TOKEN_PREFIX = 'k8s-aws-v1.';
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/**
 * aws-iam-authenticator sends X-Amz-Expires=60 for compatibility with old servers, which
 * ignore it: STS honours a presigned GetCallerIdentity for 15 minutes after X-Amz-Date.
 */
const PRESIGN_EXPIRES_SECONDS = 60;
const VALIDITY_MS = 15 * 60_000;

function stsHostname(region: string): string {
  return region.startsWith('cn-') ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

function queryString(query: HttpRequest['query'] = {}): string {
  return Object.entries(query)
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map(
        (v) => `${encodeURIComponent(key)}=${encodeURIComponent(v ?? '')}`,
      ),
    )
    .join('&');
}

/** One token, signed at `signingDate`. */
export async function createEksToken(options: EksTokenOptions, signingDate = new Date()): Promise<EksToken> {
  const credentials = await options.credentials();
  const hostname = stsHostname(options.region);
  const signer = new SignatureV4({
    credentials,
    region: options.region,
    service: 'sts',
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: options.clusterName },
    }),
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate },
  );
  const url = `https://${hostname}/?${queryString(presigned.query)}`;
  const validUntil = signingDate.getTime() + VALIDITY_MS;
  const credentialsUntil = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
  return {
    token: TOKEN_PREFIX + Buffer.from(url).toString('base64url'),
    expiresAt: new Date(Math.min(validUntil, credentialsUntil)),
  };
}

/**
 * Keeps one token per container and signs a new one shortly before it expires, so a warm
 * Lambda does not sign per request and a long invocation never sends an expired token.
 */
export class EksTokenCache {
  private current?: EksToken;
  private pending?: Promise<EksToken>;

  constructor(
    private readonly options: EksTokenOptions,
    private readonly now: () => Date = () => new Date(),
    /** Renew when less than this is left: covers clock skew and a request in flight. */
    private readonly marginMs = 60_000,
  ) {}

  async token(): Promise<string> {
    const now = this.now();
    if (this.current && this.current.expiresAt.getTime() - this.marginMs > now.getTime()) {
      return this.current.token;
    }
    // Concurrent requests share one signing instead of each signing their own.
    this.pending ??= createEksToken(this.options, now).finally(() => (this.pending = undefined));
    this.current = await this.pending;
    return this.current.token;
  }
}
