import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { CliError } from '../../local/cli/cli-error';
import { registerVerifyBackupsCommand, verifyBackupsCommand } from '../../local/cli/verify-backups-command';
import { demoBackupObjects } from '../../local/aws/demo-backups';
import { startLocalAws, type LocalAws } from '../../local/aws/local-aws';
import { startSandbox, type Sandbox } from '../../local/kube-sandbox/sandbox';
import { recordingStreams } from '../support/cli';

/*
 * `eks-incident verify-backups`, in-process: against the built-in sandbox with the demo's
 * backups, and against a cluster known only by its kubeconfig with the backups on an
 * S3-compatible endpoint.
 */

const EXAMPLE = resolve(__dirname, '../../examples/backup-sources.json');

let dir: string;
const saved = { ...process.env };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-incident-verify-'));
});

afterEach(async () => {
  process.env = { ...saved };
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command as commander parses it, returning the error it ended with. */
async function cli(args: string[]): Promise<{ error?: CliError; stdout: string; stderr: string }> {
  const streams = recordingStreams();
  const program = new Command('eks-incident').exitOverride();
  registerVerifyBackupsCommand(program, streams);
  try {
    await program.parseAsync(['node', 'eks-incident', 'verify-backups', ...args]);
    return { stdout: streams.stdout(), stderr: streams.stderr() };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { error, stdout: streams.stdout(), stderr: streams.stderr() };
  }
}

// A whole verification with a restore-test Job on the sandbox: over a minute on a loaded 2-core
// machine (CI saw 74 s). A wait, not a speed claim.
jest.setTimeout(180_000);

describe('eks-incident verify-backups', () => {
  it('verifies the demo: prints the report naming each failure, keeps it in the local store, exits 2', async () => {
    // Act
    const { error, stdout } = await cli([
      '--config',
      EXAMPLE,
      '--sandbox',
      '--time-scale',
      '100',
      '--data-dir',
      dir,
    ]);

    // Assess
    expect(error).toMatchObject({
      exitCode: 2,
      message: 'backup verification failed: 3 finding(s), see the report',
    });
    expect(stdout).toContain('Backup verification: 2 S3 sources, 3 CronJobs, 1 restore test');
    expect(stdout).toMatch(/→ Open Run\n[\s\S]*→ Report\n/);
    expect(stdout).toMatch(
      /- \*\*s3:milvus\*\* `stale`: the newest backup milvus\/backup_nightly-\d{8}\.tar\.gz is/,
    );
    expect(stdout).toContain('- **cronjob:one-data-infra/milvus-backup** `stale`');
    expect(stdout).toContain('- **cronjob:one-data-infra/milvus-backup** `last-job-failed`');
    expect(stdout).toMatch(/\| mysql-restore: Restores the newest MySQL dump .* \| ✅ passed \|/);
    expect(stdout).toMatch(/\[BACKUP\] Backup verification failed: 2 of 6 checks/);
    const prefix = /Report: s3:\/\/eks-incident-evidence\/(backup-verification\/\S+\/)/.exec(stdout)![1];
    expect(
      existsSync(join(dir, 's3', 'buckets', 'eks-incident-evidence', 'objects', `${prefix}report.md.data`)),
    ).toBe(true);
  });

  it('verifies a cluster of a kubeconfig, with the backups on an S3-compatible endpoint', async () => {
    // Prepare: the demo cluster served on its own, its backups on another S3 server.
    let sandbox: Sandbox | undefined;
    let backups: LocalAws | undefined;
    try {
      sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: 1 } });
      backups = await startLocalAws({ s3Objects: demoBackupObjects(sandbox.clock.now()) });
      const kubeconfig = join(dir, 'kubeconfig');
      await sandbox.writeKubeconfig(kubeconfig);
      const config = join(dir, 'backups.json');
      await writeFile(
        config,
        JSON.stringify({
          s3: [
            { name: 'mysql', bucket: 'one-data-backups', prefix: 'mysql/', maxAgeHours: 26, format: 'gzip' },
          ],
          cronJobs: [{ namespace: 'one-data-infra', name: 'mysql-backup', maxAgeHours: 26 }],
        }),
      );
      process.env.AWS_REGION = 'eu-west-1';
      process.env.AWS_ACCESS_KEY_ID = 'local';
      process.env.AWS_SECRET_ACCESS_KEY = 'local';

      // Act
      const streams = recordingStreams();
      const result = await verifyBackupsCommand(
        {
          config,
          sandbox: false,
          kubeconfig,
          backupsEndpoint: backups.endpoint,
          successDigest: true,
          timeScale: 1,
          dataDir: dir,
          json: true,
        },
        streams,
      );

      // Assess
      expect(result.report).toMatchObject({ outcome: 'passed', failures: 0 });
      const printed = JSON.parse(streams.stdout()) as { status: string; notifications: string[] };
      expect(printed.status).toBe('SUCCEEDED');
      expect(printed.notifications).toEqual([
        expect.stringMatching(/^\[BACKUP\] Backups verified: all 2 checks passed/),
      ]);
      expect(sandbox.requests.writes()).toEqual([]);
    } finally {
      await backups?.stop();
      await sandbox?.stop();
    }
  });

  it.each([
    [['--config', 'no-such.json', '--sandbox'], /^backup configuration no-such\.json not found/],
    [['--config', '__BAD__', '--sandbox'], /^invalid backup configuration .*: s3\[0\]\.maxAgeHours:/],
  ])('refuses %j before starting anything', async (args, message) => {
    // Prepare
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ s3: [{ name: 'db', bucket: 'backups', prefix: 'db/' }] }));

    // Act
    const { error } = await cli([...args.map((a) => (a === '__BAD__' ? bad : a)), '--data-dir', dir]);

    // Assess
    expect(error).toMatchObject({ exitCode: 1, message: expect.stringMatching(message) });
    expect(existsSync(join(dir, 's3'))).toBe(false);
  });
});
