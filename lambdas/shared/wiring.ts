import { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import type { evidenceEnv } from './env';
import type { EvidenceStore } from './evidence/evidence-store';
import { S3EvidenceStore } from './evidence/s3-evidence-store';

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

export async function evidenceFromEnv(env: z.output<typeof evidenceEnv>): Promise<EvidenceWiring> {
  const s3 = new S3Client({});
  return {
    store: new S3EvidenceStore(s3, env.EVIDENCE_BUCKET),
    bucket: env.EVIDENCE_BUCKET,
    region: await s3.config.region(),
  };
}
