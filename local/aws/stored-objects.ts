import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** An object the local S3 already holds when it starts, written at `lastModified`. */
export interface StoredS3Object {
  bucket: string;
  key: string;
  body: Buffer;
  lastModified: Date;
  /** @default 'application/octet-stream' */
  contentType?: string;
}

/** Keys that map to the same relative path on every file system (fauxqs percent-encodes others). */
const PLAIN_KEY = /^[A-Za-z0-9._\-/]+$/;

/**
 * Writes objects into an S3 storage directory in fauxqs's file layout (its README, "File layout
 * on disk"), for fauxqs to load at start. This is the only way to give an object an earlier
 * Last-Modified: S3, and fauxqs, stamp every upload with the time it arrived, and a backup
 * check is about how old the backups are.
 */
export function writeStoredObjects(storageDir: string, objects: readonly StoredS3Object[]): void {
  const buckets = new Set<string>();
  for (const o of objects) {
    if (!PLAIN_KEY.test(o.key) || o.key.split('/').some((part) => part === '..' || part === '.')) {
      throw new Error(`stored object key "${o.key}" must be plain letters, digits, ".", "_", "-" and "/"`);
    }
    const bucketDir = join(storageDir, 'buckets', o.bucket);
    if (!buckets.has(o.bucket)) {
      buckets.add(o.bucket);
      mkdirSync(join(bucketDir, 'objects'), { recursive: true });
      writeFileSync(
        join(bucketDir, '.bucket.json'),
        JSON.stringify({ name: o.bucket, creationDate: new Date(0).toISOString(), type: 'general-purpose' }),
      );
    }
    const base = join(bucketDir, 'objects', ...o.key.split('/'));
    mkdirSync(dirname(base), { recursive: true });
    writeFileSync(`${base}.data`, o.body);
    writeFileSync(
      `${base}.meta.json`,
      JSON.stringify({
        key: o.key,
        contentType: o.contentType ?? 'application/octet-stream',
        contentLength: o.body.length,
        etag: `"${createHash('md5').update(o.body).digest('hex')}"`,
        lastModified: o.lastModified.toISOString(),
        metadata: {},
      }),
    );
  }
}
