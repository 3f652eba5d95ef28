import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalExecutionRegistry, type LocalExecutionRecord } from '../../../local/engine/execution-registry';

/** A record another process left RUNNING, written where a new registry finds it. */
function leftRunning(dir: string, pid: number, pidStart?: string): void {
  const record: LocalExecutionRecord = {
    name: 'left-running',
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:IncidentResponse:left-running',
    startTime: new Date().toISOString(),
    status: 'RUNNING',
    pid,
    ...(pidStart ? { pidStart } : {}),
  };
  writeFileSync(path.join(dir, 'left-running.json'), JSON.stringify(record));
}

describe('LocalExecutionRegistry: an execution whose process is gone reads ABORTED', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a process that runs now keeps its execution RUNNING', () => {
    // Prepare: the parent process (it runs this test), recorded without a start time as older
    // records are.
    leftRunning(dir, process.ppid);

    // Act
    const record = new LocalExecutionRegistry(dir).get('left-running');

    // Assess
    expect(record?.status).toBe('RUNNING');
  });

  test('a killed process left as a zombie (nobody reaps it) runs nothing', async () => {
    // Prepare: `sh` starts a child that exits at once and never waits for it.
    const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const zombie = Number(
      await new Promise<string>((resolve) =>
        sh.stdout.once('data', (chunk: Buffer) => resolve(String(chunk))),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    leftRunning(dir, zombie);

    try {
      // Act
      const record = new LocalExecutionRegistry(dir).get('left-running');

      // Assess
      expect(record?.status).toBe('ABORTED');
    } finally {
      sh.kill('SIGKILL');
    }
  });

  test('a pid now used by another process is not taken for the one that ran the execution', () => {
    // Prepare: the parent process's pid, with a start time that is not its own.
    leftRunning(dir, process.ppid, '1');

    // Act
    const record = new LocalExecutionRegistry(dir).get('left-running');

    // Assess
    expect(record?.status).toBe('ABORTED');
  });
});
