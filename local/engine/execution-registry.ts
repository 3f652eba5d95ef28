import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionInput } from '../../lambdas/shared/contracts';
import type { ExecutionLiveness, ExecutionState } from '../../lambdas/shared/execution-liveness';
import type { IncidentsInFlight } from '../../lambdas/notify/storm-quiet';

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
  /** That process's start (Linux: `/proc/<pid>/stat` field 22), so a reused pid is not taken for it. */
  pidStart?: string;
  input?: ExecutionInput;
  endedAt?: string;
}

/** State and start time of a process from `/proc` (Linux); undefined where there is no such file. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return undefined;
  }
}

function processAlive(pid: number, pidStart: string | undefined): boolean {
  if (process.platform === 'linux') {
    const stat = procStat(pid);
    // A killed process whose parent is gone may stay a zombie where PID 1 does not reap (containers):
    // it runs nothing. A different start time means the pid was reused by another process.
    if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
    return pidStart === undefined || stat.start === pidStart;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const OWN_START = process.platform === 'linux' ? procStat(process.pid)?.start : undefined;

const FILE_NAME = /^[A-Za-z0-9_-]{1,80}\.json$/;

export class LocalExecutionRegistry implements ExecutionLiveness, IncidentsInFlight {
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

  begin(record: Omit<LocalExecutionRecord, 'status' | 'pid' | 'pidStart'>): LocalExecutionRecord {
    const entry: LocalExecutionRecord = {
      ...record,
      status: 'RUNNING',
      pid: process.pid,
      ...(OWN_START ? { pidStart: OWN_START } : {}),
    };
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

  /** The IncidentsInFlight of the local engine: its executions running now (all of one state machine). */
  async count(_executionArn: string, limit: number): Promise<number> {
    return Math.min(limit, this.list().filter((record) => record.status === 'RUNNING').length);
  }

  async state(executionArn: string): Promise<ExecutionState> {
    const name = executionArn.split(':').at(-1) ?? '';
    const record = this.get(name);
    if (!record || record.executionArn !== executionArn) return 'unknown';
    return record.status === 'RUNNING' ? 'running' : 'ended';
  }

  private isRunning(record: LocalExecutionRecord): boolean {
    return record.pid === process.pid
      ? this.live.has(record.name)
      : processAlive(record.pid, record.pidStart);
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
