import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { RedactedText, redactText, redactedJson } from '../redact';
import type { ArchiveEntry, EvidenceObject, EvidenceStore, Manifest } from './evidence-store';
import { evidenceKeys } from './layout';
import { TAR_END, tarEntry } from './tar';

export interface S3EvidenceStoreOptions {
  /** @default () => new Date() */
  now?: () => Date;
  /** Bytes per part of a streamed upload (S3's minimum is 5 MiB). @default 5 MiB */
  partSize?: number;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const TAR = 'application/x-tar';
/** Bytes (or characters) of a stream gathered before they are compressed. */
const STREAM_BATCH = 64 * 1024;

function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Counts and hashes the bytes flowing to S3, so the manifest states what was stored. */
class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  /** Not `size`: lib-storage reads a body's `size` as its total length. */
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** The evidence bucket, through the S3 client it is given. */
export class S3EvidenceStore implements EvidenceStore {
  private readonly now: () => Date;
  private readonly partSize: number;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    options: S3EvidenceStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.partSize = options.partSize ?? 5 * 1024 * 1024;
  }

  async putJson(key: string, value: unknown): Promise<EvidenceObject> {
    return this.putBody(key, Buffer.from(`${redactedJson(value)}\n`), JSON_TYPE);
  }

  async putText(key: string, text: string, contentType = TEXT): Promise<EvidenceObject> {
    return this.putBody(key, Buffer.from(redactText(text)), contentType);
  }

  async putStream(
    key: string,
    records: AsyncIterable<string | RedactedText>,
    contentType: string,
  ): Promise<EvidenceObject> {
    async function* redacted() {
      for await (const record of records)
        yield record instanceof RedactedText ? record.text : redactText(record);
    }
    return this.putGzip(key, redacted(), contentType);
  }

  async putArchive(key: string, entries: AsyncIterable<ArchiveEntry>): Promise<EvidenceObject> {
    const mtime = this.now();
    async function* blocks() {
      for await (const entry of entries) {
        yield* tarEntry(entry.path, Buffer.from(redactText(entry.text)), mtime);
      }
      yield TAR_END;
    }
    return this.putGzip(key, blocks(), TAR);
  }

  /**
   * Streams `chunks` into one gzip object. They are small (a list item, a pod's log) and
   * compressed in batches, since each chunk written costs a trip through the stream machinery
   * and zlib's thread pool. What is in flight is bounded: one batch, one part of the upload.
   */
  private async putGzip(
    key: string,
    chunks: AsyncIterable<string | Buffer>,
    contentType: string,
  ): Promise<EvidenceObject> {
    const digest = new DigestStream();
    async function* batches() {
      // Text is joined before it is encoded: one conversion per batch, not one per record.
      let text = '';
      let buffers: Buffer[] = [];
      let size = 0;
      const flush = () => {
        if (text) buffers.push(Buffer.from(text));
        const joined = buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
        text = '';
        buffers = [];
        size = 0;
        return joined;
      };
      for await (const chunk of chunks) {
        if (typeof chunk === 'string') text += chunk;
        else {
          if (text) buffers.push(Buffer.from(text));
          text = '';
          buffers.push(chunk);
        }
        size += chunk.length;
        if (size >= STREAM_BATCH) yield flush();
      }
      if (size > 0) yield flush();
    }
    const upload = new Upload({
      client: this.client,
      partSize: this.partSize,
      // Parts in flight are held in memory: one at a time bounds a stream to one part.
      queueSize: 1,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: digest,
        ContentType: contentType,
        ContentEncoding: 'gzip',
      },
    });
    await Promise.all([pipeline(Readable.from(batches()), createGzip(), digest), upload.done()]);
    return { key, size: digest.bytes, sha256: digest.digest(), contentType, contentEncoding: 'gzip' };
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse(await response.Body!.transformToString()) as T;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async keys(prefix: string): Promise<string[]> {
    return (await this.list(prefix)).map((object) => object.Key!);
  }

  async updateManifest(prefix: string, written: EvidenceObject[]): Promise<EvidenceObject> {
    const manifestKey = evidenceKeys.manifest(prefix);
    const previous = await this.getJson<Manifest>(manifestKey);
    const known = new Map<string, EvidenceObject>();
    for (const entry of previous?.objects ?? []) known.set(entry.key, entry);
    for (const entry of written) known.set(entry.key, entry);
    const objects: EvidenceObject[] = [];
    for (const listed of await this.list(prefix)) {
      if (listed.Key === manifestKey) continue;
      const entry = known.get(listed.Key!);
      // A size that differs means the object was rewritten since it was listed: hash it again.
      objects.push(entry && entry.size === listed.Size ? entry : await this.describe(listed.Key!));
    }
    objects.sort((a, b) => a.key.localeCompare(b.key));
    const manifest: Manifest = { prefix, updatedAt: this.now().toISOString(), objects };
    return this.putJson(manifestKey, manifest);
  }

  private async putBody(key: string, body: Buffer, contentType: string): Promise<EvidenceObject> {
    const sha256 = sha256Hex(body);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        // S3 checks the body against this digest, so what the manifest states is what landed.
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      }),
    );
    return { key, size: body.length, sha256, contentType };
  }

  private async list(prefix: string): Promise<_Object[]> {
    const objects: _Object[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      objects.push(...(page.Contents ?? []));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** Reads an object back to hash it: for objects written by an invocation that did not finish. */
  private async describe(key: string): Promise<EvidenceObject> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of response.Body as Readable) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return {
      key,
      size,
      sha256: hash.digest('hex'),
      contentType: response.ContentType ?? 'application/octet-stream',
      ...(response.ContentEncoding === 'gzip' ? { contentEncoding: 'gzip' as const } : {}),
    };
  }
}
