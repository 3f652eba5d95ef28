import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * Quiet opening pages in a storm. The storm brake decides at Guard, after diagnostics; when many
 * workloads break at once, every incident has been opened (and would have paged) before the first
 * one is refused. So Open Incident looks at what it can know at once — how many incidents of this
 * workflow are running right now, itself included — and when that is more than the cluster's
 * remediation budget, it opens the incident without the "opened" page. Nothing is dropped: every
 * incident still ends with its own notification (recovered, no action, escalated, an approval
 * request) or is listed in the storm notification, and keeps its evidence and report.
 */
export interface IncidentsInFlight {
  /**
   * How many executions of the state machine running `executionArn` are running now, counting
   * at most `limit`; undefined when it cannot be known (then the page goes out: never quiet on a
   * guess).
   */
  count(executionArn: string, limit: number): Promise<number | undefined>;
}

export interface StormQuiet {
  inFlight: IncidentsInFlight;
  /** The storm brake's cluster budget: more incidents in flight than this, and openings are quiet. */
  clusterBudget: number;
}

/** Why this opening is quiet, or undefined when it pages. */
export async function quietOpening(executionArn: string, quiet: StormQuiet): Promise<string | undefined> {
  const running = await quiet.inFlight.count(executionArn, quiet.clusterBudget + 1);
  if (running === undefined || running <= quiet.clusterBudget) return undefined;
  return `more than ${quiet.clusterBudget} incidents in flight (the storm brake's cluster budget): opened without a page; the outcome or the storm notification follows`;
}

/** `arn:aws:states:<region>:<account>:execution:<machine>:<name>` → the state machine's ARN. */
export function stateMachineArnOf(executionArn: string): string | undefined {
  const parts = executionArn.split(':');
  if (parts.length < 8 || parts[2] !== 'states' || parts[5] !== 'execution') return undefined;
  return [...parts.slice(0, 5), 'stateMachine', parts[6]].join(':');
}

/** Step Functions' RUNNING executions of the state machine, one page of at most `limit`. */
export class SfnIncidentsInFlight implements IncidentsInFlight {
  constructor(private readonly client: Pick<SFNClient, 'send'>) {}

  async count(executionArn: string, limit: number): Promise<number | undefined> {
    const stateMachineArn = stateMachineArnOf(executionArn);
    if (!stateMachineArn) return undefined;
    try {
      const { executions } = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: limit }),
      );
      return executions?.length;
    } catch {
      // Throttled or denied in the middle of a storm: the page goes out, as without the brake.
      return undefined;
    }
  }
}
