import { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import type { evidenceEnv } from './env';
import type { EvidenceStore } from './evidence/evidence-store';
import { S3EvidenceStore } from './evidence/s3-evidence-store';
import type { AwsClientSettings } from './handler-environment';

/**
 * The evidence store a handler writes to. AWS clients take region, credentials and endpoints
 * (`AWS_ENDPOINT_URL_S3`... when run locally) from the standard environment. Each AWS client
 * has its wiring module (this one, notify-wiring.ts, kubernetes-wiring.ts), so a handler
 * imports exactly the clients its step uses.
 */

export interface EvidenceWiring {
  store: EvidenceStore;
  bucket: string;
  /** For S3 console links. */
  region: string;
}

export interface EvidenceWiringOptions {
  /** The S3 client's settings from an explicit environment (handler-environment.ts). @default - the SDK's */
  aws?: AwsClientSettings;
  /** The clock that dates the evidence. @default - the wall clock */
  now?: () => Date;
}

export async function evidenceFromEnv(
  env: z.output<typeof evidenceEnv>,
  options: EvidenceWiringOptions = {},
): Promise<EvidenceWiring> {
  const s3 = new S3Client({ ...options.aws });
  return {
    store: new S3EvidenceStore(s3, env.EVIDENCE_BUCKET, { now: options.now }),
    bucket: env.EVIDENCE_BUCKET,
    region: await s3.config.region(),
  };
}
