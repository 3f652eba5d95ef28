import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BackupStepEvent, BackupState } from '../../lambdas/shared/backup-contracts';

/**
 * What the backup-verification tests share: backups made by the real tools (GNU tar, gzip,
 * sha256sum), as a backup script on a node would make them, and step events as the state
 * machine sends them.
 */

export const BACKUP_EXECUTION = {
  id: 'arn:aws:states:eu-west-1:123456789012:execution:BackupVerification:8d0c6f0e-1a2b-4c3d-9e8f-7a6b5c4d3e2f',
  name: '8d0c6f0e-1a2b-4c3d-9e8f-7a6b5c4d3e2f',
  startTime: '2026-11-22T06:00:00.000Z',
};

export function backupEvent<P extends Record<string, string>>(
  state: BackupState = {},
  params?: P,
): BackupStepEvent<P> {
  return { state, execution: BACKUP_EXECUTION, params };
}

function run(command: string, args: string[], cwd: string, input?: Buffer): Buffer {
  const result = spawnSync(command, args, { cwd, input, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return result.stdout;
}

/** Runs `work` in a fresh directory that is removed afterwards. */
function inTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'backup-fixture-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `tar -czf` of these files (paths relative to the archive root), in the given tar format. */
export function tarGz(
  files: Record<string, string | Buffer>,
  format: 'gnu' | 'pax' | 'ustar' = 'gnu',
): Buffer {
  return inTempDir((dir) => {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'root', name)), { recursive: true });
      writeFileSync(join(dir, 'root', name), content);
    }
    run(
      'tar',
      [`--format=${format}`, '--sort=name', '-czf', join(dir, 'out.tar.gz'), '-C', join(dir, 'root'), '.'],
      dir,
    );
    return readFileSync(join(dir, 'out.tar.gz'));
  });
}

/** `tar -cf` (no compression). */
export function tar(files: Record<string, string | Buffer>): Buffer {
  return inTempDir((dir) => {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'root', name)), { recursive: true });
      writeFileSync(join(dir, 'root', name), content);
    }
    run(
      'tar',
      ['--format=gnu', '--sort=name', '-cf', join(dir, 'out.tar'), '-C', join(dir, 'root'), '.'],
      dir,
    );
    return readFileSync(join(dir, 'out.tar'));
  });
}

/** `gzip -c`. */
export function gzip(content: string | Buffer): Buffer {
  return inTempDir((dir) => run('gzip', ['-c', '-n'], dir, Buffer.from(content)));
}

/** What `sha256sum FILE > FILE.sha256` writes for a file with this content and name. */
export function sha256sum(content: Buffer, fileName: string): Buffer {
  return inTempDir((dir) => {
    writeFileSync(join(dir, fileName), content);
    return run('sha256sum', [fileName], dir);
  });
}

/** A plausible SQL dump of `rows` rows. */
export function sqlDump(rows: number): string {
  const lines = [
    '-- MySQL dump 10.13  Distrib 8.0.36',
    'CREATE TABLE `users` (`id` bigint, `name` varchar(255));',
  ];
  for (let i = 1; i <= rows; i++) lines.push(`INSERT INTO \`users\` VALUES (${i},'user-${i}');`);
  return `${lines.join('\n')}\n-- Dump completed\n`;
}
