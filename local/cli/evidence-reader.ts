import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { openBucket } from './aws-targets';
import { CliError } from './cli-error';
import type { EvidenceLocator } from './incident-summary';
import { LocalStore } from './local-store';
import { bucketLocator, localLocator } from './locators';

/** Read access to an evidence store: the local one (embedded S3 on `.data/`) or a bucket. */
export interface EvidenceReader {
  s3: S3Client;
  bucket: string;
  locator: EvidenceLocator;
  close(): Promise<void>;
}

export interface EvidenceSourceOptions {
  /** A bucket name (`--bucket s3://NAME`); the local store when unset. */
  bucket?: string;
  dataDir: string;
}

export async function openEvidence(options: EvidenceSourceOptions): Promise<EvidenceReader> {
  if (options.bucket) {
    const { s3, bucket, region } = await openBucket(options.bucket);
    return {
      s3,
      bucket,
      locator: bucketLocator(bucket, region),
      close: async () => s3.destroy(),
    };
  }
  const store = new LocalStore(options.dataDir);
  const aws = await store.open();
  return { s3: aws.s3, bucket: aws.bucket, locator: localLocator(store), close: () => aws.stop() };
}

/** An object's body as text; undefined when there is no such object. */
export async function readText(reader: EvidenceReader, key: string): Promise<string | undefined> {
  try {
    const object = await reader.s3.send(new GetObjectCommand({ Bucket: reader.bucket, Key: key }));
    return await object.Body!.transformToString();
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
    throw new CliError(`cannot read s3://${reader.bucket}/${key}: ${e.name}: ${(error as Error).message}`);
  }
}

/** Every key under a prefix, following continuation tokens. */
export async function listKeys(reader: EvidenceReader, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await reader.s3.send(
      new ListObjectsV2Command({ Bucket: reader.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

const INCIDENT_ID = /^(\d{4})(\d{2})(\d{2})-\d{6}-[a-z0-9.-]+-[0-9a-f]{6}$/;

/**
 * The evidence prefix of an incident id (`incidents/YYYY/MM/DD/<id>/`: the id starts with its
 * date). A prefix or s3:// URI of an incident is accepted too, as `evidence` prints them.
 */
export function incidentPrefixOf(idOrPrefix: string): { id: string; prefix: string } {
  const id = idOrPrefix.replace(/\/+$/, '').split('/').at(-1) ?? '';
  const match = INCIDENT_ID.exec(id);
  if (!match) {
    throw new CliError(
      `"${idOrPrefix}" is not an incident id (like 20261122-031500-one-data-alldata-alldata-api-3f2a1c); list them with: eks-incident evidence`,
    );
  }
  return { id, prefix: `incidents/${match[1]}/${match[2]}/${match[3]}/${id}/` };
}
