import type { ExecutionRecord, ExecutionStarter, StartOutcome } from '../../lambdas/intake/execution-starter';
import { executionArnOf } from '../../lambdas/intake/execution-starter';
import type { ExecutionInput } from '../../lambdas/shared/contracts';
import type { LocalExecutionRegistry } from '../engine/execution-registry';
import type { IncidentRun } from '../engine/run-incident';

/** Runs one execution to its end (runIncident, bound to its definition and environment). */
export type LocalRun = (execution: {
  name: string;
  input: ExecutionInput;
  startTime: Date;
}) => Promise<IncidentRun>;

/** An execution the local starter started. */
export interface LocalExecutionEntry {
  name: string;
  executionArn: string;
  startTime: Date;
  input: ExecutionInput;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  stopTime?: Date;
  /** Settles when the run has ended; never rejects (a run that threw is FAILED with no result). */
  done: Promise<IncidentRun | undefined>;
}

export interface LocalExecutionStarterOptions {
  run: LocalRun;
  /** The ARN the executions' ARNs derive from, as Step Functions derives them. */
  stateMachineArn: string;
  /**
   * Executions running at once; the others wait their turn, RUNNING as in Step Functions
   * (where they would all run). @default 4
   */
  maxConcurrentRuns?: number;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * Resolves when a run may begin setting up: `serve` holds runs back while it is answering
   * deliveries (IntakeActivity.quiet), so an alert storm is answered first. @default at once
   */
  startWhen?: () => Promise<void>;
  /** Told about a run that threw instead of ending in SUCCEEDED or FAILED. */
  onRunError?: (name: string, error: unknown) => void;
  /**
   * The engine's record of executions on disk: names started by an earlier process are known
   * (never started twice), and those that died with it read as ended (ABORTED).
   */
  registry?: LocalExecutionRegistry;
}

/**
 * The ExecutionStarter of `eks-incident serve`: executions run on the local engine, in this
 * process, and a name is started once, as Step Functions starts it once. The check and the
 * record of a name happen in one synchronous step, so concurrent deliveries cannot both start
 * it. `start` returns as soon as the execution is recorded, without waiting for it to run.
 */
export class LocalExecutionStarter implements ExecutionStarter {
  private readonly executions = new Map<string, LocalExecutionEntry>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private readonly maxConcurrent: number;
  private readonly now: () => Date;

  constructor(private readonly options: LocalExecutionStarterOptions) {
    this.maxConcurrent = options.maxConcurrentRuns ?? 4;
    this.now = options.now ?? (() => new Date());
  }

  async start(name: string, input: ExecutionInput): Promise<StartOutcome> {
    const existing = this.executions.get(name) ?? this.options.registry?.get(name);
    if (existing) return { executionArn: existing.executionArn, started: false };
    const entry: LocalExecutionEntry = {
      name,
      executionArn: executionArnOf(this.options.stateMachineArn, name),
      startTime: this.now(),
      input,
      status: 'RUNNING',
      done: Promise.resolve(undefined),
    };
    this.executions.set(name, entry);
    // Recorded before it waits its turn: a restart of serve then knows it was started.
    this.options.registry?.begin({
      name,
      executionArn: entry.executionArn,
      startTime: entry.startTime.toISOString(),
      input,
    });
    entry.done = this.runInTurn(entry);
    return { executionArn: entry.executionArn, started: true };
  }

  async find(name: string): Promise<ExecutionRecord | undefined> {
    const entry = this.executions.get(name);
    if (entry) {
      return {
        executionArn: entry.executionArn,
        startTime: entry.startTime.toISOString(),
        status: entry.status,
        ...(entry.stopTime ? { stopTime: entry.stopTime.toISOString() } : {}),
        target: entry.input.target,
      };
    }
    const recorded = this.options.registry?.get(name);
    if (!recorded?.input) return undefined;
    return {
      executionArn: recorded.executionArn,
      startTime: recorded.startTime,
      status: recorded.status,
      ...(recorded.endedAt ? { stopTime: recorded.endedAt } : {}),
      target: recorded.input.target,
    };
  }

  /** Every execution started so far, in start order. */
  list(): LocalExecutionEntry[] {
    return [...this.executions.values()];
  }

  /** Resolves once every execution started so far, and any they make room for, has ended. */
  async idle(): Promise<void> {
    let count: number;
    do {
      count = this.executions.size;
      await Promise.all(this.list().map((entry) => entry.done));
    } while (count !== this.executions.size);
  }

  private async runInTurn(entry: LocalExecutionEntry): Promise<IncidentRun | undefined> {
    // Not in the caller's turn of the event loop: `start` answers before the run sets up.
    await new Promise((resolve) => setImmediate(resolve));
    await this.options.startWhen?.();
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      const run = await this.options.run({
        name: entry.name,
        input: entry.input,
        startTime: entry.startTime,
      });
      entry.status = run.status;
      entry.stopTime = this.now();
      return run;
    } catch (error) {
      entry.status = 'FAILED';
      entry.stopTime = this.now();
      this.options.registry?.end(entry.name, 'FAILED', this.now());
      this.options.onRunError?.(entry.name, error);
      return undefined;
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}
