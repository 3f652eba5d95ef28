/**
 * POSIX tar (pax interchange format, the one GNU tar, bsdtar and Python's tarfile write and
 * read by default), written entry by entry so an archive can be streamed: a 512-byte ustar
 * header, the content, zero padding to the next 512-byte block, and two zero blocks at the end.
 * Only regular files: extracting creates the directories their paths name.
 */

const BLOCK = 512;
/** ustar's `name` field; longer (or non-ASCII) paths go in a pax `path` record. */
const NAME_BYTES = 100;

/** What ends an archive: two zero blocks. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** `value` in octal, zero-padded to `width - 1` digits and NUL-terminated, as ustar writes numbers. */
function octal(value: number, width: number): string {
  const digits = Math.floor(value).toString(8);
  if (digits.length > width - 1) throw new RangeError(`${value} does not fit a ${width}-byte tar field`);
  return `${digits.padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mtime: Date, type: '0' | 'x'): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, NAME_BYTES, 'utf8');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(mtime.getTime() / 1000, 12), 136, 'ascii');
  // The checksum is computed with its own field read as eight spaces.
  block.write('        ', 148, 'ascii');
  block.write(type, 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

function padding(size: number): Buffer[] {
  const rest = size % BLOCK;
  return rest === 0 ? [] : [Buffer.alloc(BLOCK - rest)];
}

/** A pax record, `<length> <key>=<value>\n`, whose length counts its own digits. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes;
  while (length !== bytes + String(length).length) length = bytes + String(length).length;
  return Buffer.from(`${length}${body}`);
}

/** The blocks of one regular file at `path` (`/`-separated, relative) holding `content`. */
export function tarEntry(path: string, content: Buffer, mtime: Date): Buffer[] {
  const blocks: Buffer[] = [];
  const ascii = /^[\x20-\x7e]*$/.test(path);
  if (!ascii || Buffer.byteLength(path) > NAME_BYTES) {
    const record = paxRecord('path', path);
    const base = path.slice(path.lastIndexOf('/') + 1).replace(/[^\x20-\x7e]/g, '_');
    blocks.push(header(`PaxHeader/${base}`.slice(0, NAME_BYTES), record.length, mtime, 'x'));
    blocks.push(record, ...padding(record.length));
  }
  const short = ascii ? path.slice(0, NAME_BYTES) : path.replace(/[^\x20-\x7e]/g, '_').slice(0, NAME_BYTES);
  blocks.push(header(short, content.length, mtime, '0'), content, ...padding(content.length));
  return blocks;
}
