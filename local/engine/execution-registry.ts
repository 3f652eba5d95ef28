import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionInput } from '../../lambdas/shared/contracts';
import type { ExecutionLiveness, ExecutionState } from '../../lambdas/shared/execution-liveness';

/**
 * The local engine's record of its executions: what Step Functions keeps for DescribeExecution.
 * With a directory (`.data/executions/`, one JSON file per execution) it outlives the process,
 * so `serve` finds its executions again after a restart, and an execution that died with its
 * process (killed `run` or `serve`) reads as ended: its lock can be taken over and its alerts
 * start a new incident.
 */

export type LocalExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface LocalExecutionRecord {
  name: string;
  executionArn: string;
  startTime: string;
  status: LocalExecutionStatus;
  /** The process that runs it. */
  pid: number;
  input?: ExecutionInput;
  endedAt?: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const FILE_NAME = /^[A-Za-z0-9_-]{1,80}\.json$/;

export class LocalExecutionRegistry implements ExecutionLiveness {
  private readonly records = new Map<string, LocalExecutionRecord>();
  /** Executions this process runs now: only these are RUNNING for its own pid. */
  private readonly live = new Set<string>();

  /** @param dir where the records are kept; in memory only when unset. */
  constructor(private readonly dir?: string) {
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(dir)) {
      if (!FILE_NAME.test(file)) continue;
      try {
        const record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as LocalExecutionRecord;
        if (record.name && record.executionArn) this.records.set(record.name, record);
      } catch {
        // A record half-written when its process died names nothing we can act on.
      }
    }
  }

  begin(record: Omit<LocalExecutionRecord, 'status' | 'pid'>): LocalExecutionRecord {
    const entry: LocalExecutionRecord = { ...record, status: 'RUNNING', pid: process.pid };
    this.live.add(entry.name);
    this.save(entry);
    return entry;
  }

  end(name: string, status: Exclude<LocalExecutionStatus, 'RUNNING'>, endedAt: Date): void {
    this.live.delete(name);
    const record = this.records.get(name);
    if (record) this.save({ ...record, status, endedAt: endedAt.toISOString() });
  }

  /** The execution of that name; one left RUNNING by a process that is gone reads ABORTED. */
  get(name: string): LocalExecutionRecord | undefined {
    const record = this.records.get(name);
    if (!record || record.status !== 'RUNNING' || this.isRunning(record)) return record;
    return { ...record, status: 'ABORTED' };
  }

  list(): LocalExecutionRecord[] {
    return [...this.records.keys()].map((name) => this.get(name)!);
  }

  async state(executionArn: string): Promise<ExecutionState> {
    const name = executionArn.split(':').at(-1) ?? '';
    const record = this.get(name);
    if (!record || record.executionArn !== executionArn) return 'unknown';
    return record.status === 'RUNNING' ? 'running' : 'ended';
  }

  private isRunning(record: LocalExecutionRecord): boolean {
    return record.pid === process.pid ? this.live.has(record.name) : processAlive(record.pid);
  }

  private save(record: LocalExecutionRecord): void {
    this.records.set(record.name, record);
    if (!this.dir) return;
    // Written whole, then renamed: a reader never sees half a record.
    const file = join(this.dir, `${record.name}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
    renameSync(`${file}.tmp`, file);
  }
}
