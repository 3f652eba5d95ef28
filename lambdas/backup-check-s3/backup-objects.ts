import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One object under a backup prefix. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** Read-only access to the buckets where backups land. */
export interface BackupObjects {
  /** Every object under `prefix`, all pages. */
  list(bucket: string, prefix: string): Promise<StoredObject[]>;
  /** The object's stored bytes, streamed. */
  read(bucket: string, key: string): Promise<AsyncIterable<Buffer>>;
  /** The first `maxBytes` of a small object (a sidecar), as text. */
  readText(bucket: string, key: string, maxBytes: number): Promise<string>;
}

/** The backup buckets through the S3 client it is given (which follows region redirects). */
export class S3BackupObjects implements BackupObjects {
  constructor(private readonly client: S3Client) {}

  async list(bucket: string, prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        objects.push({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async read(bucket: string, key: string): Promise<AsyncIterable<Buffer>> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return response.Body as Readable;
  }

  async readText(bucket: string, key: string, maxBytes: number): Promise<string> {
    const response = await this.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${maxBytes - 1}` }),
    );
    return response.Body!.transformToString();
  }
}
