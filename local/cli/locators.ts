import type { EvidenceLocator } from './incident-summary';
import { displayPath, LOCAL_BUCKET, type LocalStore } from './local-store';

export function localLocator(store: LocalStore): EvidenceLocator {
  return {
    description: `local store ${displayPath(store.s3Dir)}, bucket ${LOCAL_BUCKET} on the embedded S3`,
    uri: (key) => `s3://${LOCAL_BUCKET}/${key}`,
    localPath: (key) => store.pathOf(key),
  };
}

export function bucketLocator(bucket: string, region: string): EvidenceLocator {
  return {
    description: `s3://${bucket} in ${region}`,
    uri: (key) => `s3://${bucket}/${key}`,
  };
}
