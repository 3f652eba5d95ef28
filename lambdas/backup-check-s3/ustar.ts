import { Writable } from 'node:stream';

/**
 * Walks a tar stream's 512-byte headers (POSIX ustar, GNU and pax archives alike) without
 * keeping any entry: each header's checksum is verified, its size read, the entry's data
 * (rounded up to whole blocks) skipped, until the end-of-archive marker, two zero blocks.
 * That is what `tar -t` reads, so an archive that passes lists completely.
 */

const BLOCK = 512;
/** Typeflags of entries that describe the next entry (pax headers, GNU long names) rather than being one. */
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

/** Why a backup stream is not what it claims to be. */
export class ArchiveError extends Error {
  constructor(
    /** `truncated`: the stream ends early; `corrupt`: its content is not valid. */
    readonly code: 'truncated' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** A numeric header field: octal text, or base-256 when its first byte has the high bit set (GNU, > 8 GiB). */
function numeric(field: Buffer): number {
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]*$/.test(text)) return NaN;
  return text ? parseInt(text, 8) : 0;
}

/**
 * The header checksum: the sum of its bytes with the checksum field read as spaces. Some old
 * tars summed signed bytes, so a header is valid if either sum matches.
 */
function checksumMatches(header: Buffer): boolean {
  const stored = numeric(header.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function isZero(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function entryName(header: Buffer): string {
  const cString = (from: number, length: number) => {
    const field = header.subarray(from, from + length);
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  const prefix = cString(345, 155);
  const name = cString(0, 100);
  return prefix && header.subarray(257, 262).toString('latin1') === 'ustar' ? `${prefix}/${name}` : name;
}

export class TarWalker extends Writable {
  /** Entries seen (files, directories, links; not pax or long-name records). */
  entries = 0;
  /** Bytes of the archive consumed so far. */
  offset = 0;
  private pending = Buffer.alloc(0);
  /** Bytes of the current entry's data (with padding) still to skip. */
  private skip = 0;
  private zeroBlocks = 0;
  private ended = false;
  private current = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.ended) return callback();
    const where = this.current ? ` in or after entry "${this.current}"` : '';
    callback(
      new ArchiveError(
        'truncated',
        this.offset === 0
          ? 'the tar archive is empty'
          : `the tar archive ends at byte ${this.offset}${where} without its end-of-archive marker`,
      ),
    );
  }

  private consume(chunk: Buffer): void {
    let data = chunk;
    while (data.length) {
      if (this.ended) {
        // Whatever follows the end marker (the record padding tar writes) is not part of the archive.
        this.offset += data.length;
        return;
      }
      if (this.skip > 0) {
        const skipped = Math.min(this.skip, data.length);
        this.skip -= skipped;
        this.offset += skipped;
        data = data.subarray(skipped);
        continue;
      }
      const needed = BLOCK - this.pending.length;
      this.pending = Buffer.concat([this.pending, data.subarray(0, needed)]);
      data = data.subarray(needed);
      if (this.pending.length < BLOCK) return;
      const header = this.pending;
      this.pending = Buffer.alloc(0);
      this.header(header);
      this.offset += BLOCK;
    }
  }

  private header(block: Buffer): void {
    if (isZero(block)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumMatches(block)) {
      throw new ArchiveError(
        'corrupt',
        `the tar header at byte ${this.offset} has a bad checksum${this.current ? ` (after entry "${this.current}")` : ''}`,
      );
    }
    const size = numeric(block.subarray(124, 136));
    if (!Number.isFinite(size)) {
      throw new ArchiveError('corrupt', `the tar header at byte ${this.offset} has an unreadable size`);
    }
    const type = String.fromCharCode(block[156] || 0x30);
    if (!META_TYPES.has(type)) {
      this.entries += 1;
      this.current = entryName(block);
    }
    this.skip = Math.ceil(size / BLOCK) * BLOCK;
  }
}
