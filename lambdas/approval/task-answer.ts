import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ApprovalOutcome } from '../shared/contracts';
import type { ApprovalRecord } from '../shared/approval/approval-store';
import { ApprovalExpiredError } from '../shared/approval/signatures';

/**
 * Gives a human's answer to the execution waiting on Request Approval: SendTaskSuccess with the
 * task token the request stored, carrying `$.approval`. A rejection is an answer too, not a task
 * failure: `Approved?` reads the decision and escalates, and the report says who rejected, which
 * SendTaskFailure (an error the Catch turns into "the workflow failed") could not carry.
 *
 * Step Functions refuses a token whose task has timed out or closed (the execution escalated, was
 * stopped, or took another answer): the answer comes too late, 410 to whoever gave it.
 */
export function sfnTaskAnswer(
  sfn: Pick<SFNClient, 'send'>,
): (record: ApprovalRecord, outcome: ApprovalOutcome) => Promise<void> {
  return async (record, outcome) => {
    try {
      await sfn.send(
        new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(outcome) }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TaskTimedOut' || name === 'TaskDoesNotExist') {
        throw new ApprovalExpiredError(
          `the workflow no longer waits for this answer (Step Functions: ${name}); the incident was escalated or has ended`,
        );
      }
      throw error;
    }
  };
}
