import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { inspectBackupStream } from '../../../lambdas/backup-check-s3/archive';
import { gzip, sqlDump, tar, tarGz } from '../backup-fixtures';

/** Feeds a buffer in chunks of `size` bytes, as an S3 response body arrives. */
async function* chunks(body: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

const FILES = {
  'mysql/one_data_studio.sql': sqlDump(200),
  'minio/datasets/sample.csv': 'id,text\n1,hello\n',
  'minio/datasets/empty.txt': '',
  [`milvus/${'deeply-nested-collection-directory/'.repeat(4)}segment_4521.binlog`]: 'x'.repeat(1500),
};

describe('inspectBackupStream', () => {
  it.each([['gnu' as const], ['pax' as const], ['ustar' as const]])(
    'walks a complete %s tar.gz made by GNU tar to its end',
    async (format) => {
      // Prepare
      const files = format === 'ustar' ? { 'a/b.sql': sqlDump(50), 'c.txt': 'c' } : FILES;
      const archive = tarGz(files, format);

      // Act
      const facts = await inspectBackupStream(chunks(archive), 'tar.gz');

      // Assess
      expect(facts.problem).toBeUndefined();
      expect(facts.bytes).toBe(archive.length);
      expect(facts.sha256).toBe(sha256(archive));
      expect(facts.uncompressedBytes).toBe(gunzipSync(archive).length);
      // Every file plus the directories tar records (`./` and each folder on the way).
      const directories = new Set(
        Object.keys(files).flatMap((name) =>
          name
            .split('/')
            .slice(0, -1)
            .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
        ),
      );
      expect(facts.tarEntries).toBe(Object.keys(files).length + directories.size + 1);
    },
  );

  it('reads a complete gzip stream to its end', async () => {
    // Prepare
    const dump = gzip(sqlDump(500));

    // Act
    const facts = await inspectBackupStream(chunks(dump, 64), 'gzip');

    // Assess
    expect(facts).toEqual({
      bytes: dump.length,
      sha256: sha256(dump),
      uncompressedBytes: Buffer.byteLength(sqlDump(500)),
    });
  });

  it('calls a gzip stream cut short truncated, and still hashes every stored byte', async () => {
    // Prepare
    const whole = gzip(sqlDump(500));
    const cut = whole.subarray(0, Math.floor(whole.length / 2));

    // Act
    const facts = await inspectBackupStream(chunks(cut), 'gzip');

    // Assess
    expect(facts.problem).toMatchObject({ code: 'truncated', message: expect.stringMatching(/ends early/) });
    expect(facts.bytes).toBe(cut.length);
    expect(facts.sha256).toBe(sha256(cut));
    expect(facts.uncompressedBytes).toBeUndefined();
  });

  it('calls damaged deflate data corrupt, and still hashes every stored byte', async () => {
    // Prepare: overwrite a run of bytes in the middle of the compressed data.
    const damaged = Buffer.from(gzip(sqlDump(2000)));
    damaged.fill(0xff, 200, 260);

    // Act
    const facts = await inspectBackupStream(chunks(damaged, 100), 'gzip');

    // Assess
    expect(facts.problem).toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(/does not decompress/),
    });
    expect(facts.bytes).toBe(damaged.length);
    expect(facts.sha256).toBe(sha256(damaged));
  });

  it('calls a file that is not gzip at all corrupt', async () => {
    // Act
    const facts = await inspectBackupStream(chunks(Buffer.from(sqlDump(10))), 'gzip');

    // Assess
    expect(facts.problem).toMatchObject({ code: 'corrupt', message: expect.stringMatching(/header/) });
  });

  it('calls an empty gzip backup truncated', async () => {
    // Act
    const facts = await inspectBackupStream(chunks(Buffer.alloc(0)), 'gzip');

    // Assess
    expect(facts.problem?.code).toBe('truncated');
  });

  it('calls a tar archive that stops before its end-of-archive marker truncated, though its gzip is whole', async () => {
    // Prepare: the first 2 KiB of a real archive, compressed again as a complete gzip stream.
    const cut = gzipSync(tar(FILES).subarray(0, 2048));

    // Act
    const facts = await inspectBackupStream(chunks(cut), 'tar.gz');

    // Assess
    expect(facts.problem).toMatchObject({
      code: 'truncated',
      message: expect.stringMatching(/ends at byte 2048 .*without its end-of-archive marker/),
    });
  });

  it('calls a tar header with a wrong checksum corrupt, naming where', async () => {
    // Prepare: change one byte of the second header's name field.
    const archive = Buffer.from(tar({ 'a.sql': 'a', 'b.sql': 'b' }));
    const second = archive.indexOf('./a.sql') + 1024;
    archive[second + 2] ^= 0x01;

    // Act
    const facts = await inspectBackupStream(chunks(gzipSync(archive)), 'tar.gz');

    // Assess
    expect(facts.problem).toMatchObject({
      code: 'corrupt',
      message: 'the tar header at byte 1536 has a bad checksum (after entry "./a.sql")',
    });
  });

  it('hashes a raw backup without decoding it', async () => {
    // Prepare
    const dump = Buffer.from(sqlDump(100));

    // Act
    const facts = await inspectBackupStream(chunks(dump), 'raw');

    // Assess
    expect(facts).toEqual({ bytes: dump.length, sha256: sha256(dump) });
  });
});
