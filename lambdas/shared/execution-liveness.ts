import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * Whether the execution holding a lock is still running, so a lock whose holder was killed
 * (the process died, an API outage outlasted its retries, an operator stopped it) can be taken
 * over before its Lease lapses. The holder identity is the execution's ARN. Implementations:
 * Step Functions' DescribeExecution (here), and the local engine's own record of its
 * executions (local/engine/execution-registry.ts).
 */
export type ExecutionState = 'running' | 'ended' | 'unknown';

export interface ExecutionLiveness {
  /** `unknown` when the execution cannot be looked up: the lock is then left to its expiry. */
  state(executionArn: string): Promise<ExecutionState>;
}

/** Step Functions: RUNNING is running; SUCCEEDED, FAILED, TIMED_OUT, ABORTED have ended. */
export class SfnExecutionLiveness implements ExecutionLiveness {
  constructor(private readonly client: SFNClient) {}

  async state(executionArn: string): Promise<ExecutionState> {
    if (!executionArn.startsWith('arn:aws:states:')) return 'unknown';
    try {
      const { status } = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      // PENDING_REDRIVE: a redrive is about to run it again, so it still owns its lock.
      if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return 'running';
      return status ? 'ended' : 'unknown';
    } catch (error) {
      // An execution past Step Functions' 90-day retention no longer exists: it has ended.
      if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return 'ended';
      // Denied or throttled: nothing is known, and a lock is never taken on a guess.
      return 'unknown';
    }
  }
}
