import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { BackupFormat } from '../shared/backup-config';
import { ArchiveError, TarWalker } from './ustar';

/** What reading a backup to its end showed. */
export interface StreamFacts {
  /** Bytes stored. */
  bytes: number;
  /** Hex SHA-256 of the bytes stored (what a `.sha256` sidecar states). */
  sha256: string;
  /** gzip and tar.gz: bytes once decompressed, when decompression got to the end. */
  uncompressedBytes?: number;
  /** tar.gz: entries in the archive, when the walk got to the end. */
  tarEntries?: number;
  /** Why the content is not a complete, valid stream of its format. */
  problem?: ArchiveError;
}

/** Counts what it is given and keeps nothing. */
class Counter extends Writable {
  bytes = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.bytes += chunk.length;
    callback();
  }
}

/**
 * Writes one chunk and waits until the stream has taken it, or has been destroyed: a zlib
 * stream that fails drops the callbacks of the writes it was still holding.
 */
function feed(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('close', done);
      resolve();
    };
    stream.once('close', done);
    stream.write(chunk, done);
  });
}

/**
 * zlib's errors as findings: a stream that stops early (`unexpected end of file`) is truncated,
 * anything else it refuses (a bad header, a bad block, a CRC or length mismatch) is corrupt.
 */
function asArchiveError(error: unknown): ArchiveError {
  if (error instanceof ArchiveError) return error;
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'Z_BUF_ERROR') return new ArchiveError('truncated', `the gzip stream ends early (${message})`);
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new ArchiveError('corrupt', `the gzip stream does not decompress (${message})`);
  }
  throw error;
}

/**
 * Reads a backup once, to its end: hashes and counts the stored bytes, and for `gzip` and
 * `tar.gz` decompresses them completely (and walks the tar headers), in constant memory.
 *
 * The stored bytes are always read to the end, even after the content proved bad, so the
 * checksum verdict stands on its own: a corrupt backup whose sidecar matches was corrupt when
 * it was written; one whose sidecar does not match was damaged afterwards.
 */
export async function inspectBackupStream(
  body: AsyncIterable<Buffer>,
  format: BackupFormat,
): Promise<StreamFacts> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (format === 'raw') {
    for await (const chunk of body) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  const gunzip = createGunzip();
  // The tar walker counts what it consumes, which is the whole decompressed stream.
  const sink = format === 'tar.gz' ? new TarWalker() : new Counter();
  let problem: ArchiveError | undefined;
  const decoded = pipeline(gunzip, sink).catch((error: unknown) => {
    problem = asArchiveError(error);
  });
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
    if (!problem && !gunzip.destroyed) await feed(gunzip, chunk);
  }
  if (!problem && !gunzip.destroyed) gunzip.end();
  await decoded;
  return {
    bytes,
    sha256: hash.digest('hex'),
    ...(problem
      ? { problem }
      : sink instanceof TarWalker
        ? { uncompressedBytes: sink.offset, tarEntries: sink.entries }
        : { uncompressedBytes: sink.bytes }),
  };
}
