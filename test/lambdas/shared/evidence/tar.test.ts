import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TAR_END, tarEntry } from '../../../../lambdas/shared/evidence/tar';

const run = promisify(execFile);

describe('tarEntry', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tar-test-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an archive that GNU tar lists and extracts file by file, long and non-ASCII paths included', async () => {
    // Prepare: a pod name of 253 characters (the longest Kubernetes allows) and text of every size class.
    const longPod = `${'a'.repeat(240)}-7f9c-x1b2c`;
    const files = [
      { path: 'one-data-alldata/alldata-api-7d9f-abcde/logs.txt', text: 'line one\nline two\n' },
      { path: `one-data-alldata/${longPod}/logs.txt`, text: 'x'.repeat(512) },
      { path: 'one-data-alldata/日志-pod/logs.txt', text: '连接失败 ==== END ====\n' },
      { path: 'one-data-alldata/empty/logs.txt', text: '' },
    ];
    const mtime = new Date('2026-01-01T00:00:00Z');
    const archive = Buffer.concat([
      ...files.flatMap((f) => tarEntry(f.path, Buffer.from(f.text), mtime)),
      TAR_END,
    ]);
    await writeFile(join(dir, 'logs.tar'), archive);

    // Act
    const listed = await run('tar', ['-tvf', join(dir, 'logs.tar')], {
      env: { TZ: 'UTC', LC_ALL: 'C.UTF-8' },
    });
    await run('tar', ['-xf', join(dir, 'logs.tar'), '-C', dir]);

    // Assess
    expect(archive.length % 512).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.map((l) => l.slice(l.indexOf('one-data-alldata/')))).toEqual(files.map((f) => f.path));
    expect(lines.every((l) => l.startsWith('-rw-r--r--') && l.includes('2026-01-01 00:00'))).toBe(true);
    for (const file of files) expect(await readFile(join(dir, file.path), 'utf8')).toBe(file.text);
  });
});
