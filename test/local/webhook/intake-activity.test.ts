import type { ExecutionInput } from '../../../lambdas/shared/contracts';
import type { IncidentRun } from '../../../local/engine/run-incident';
import { IntakeActivity } from '../../../local/webhook/intake-activity';
import { LocalExecutionStarter } from '../../../local/webhook/local-execution-starter';

const INPUT = {
  source: 'manual',
  target: { namespace: 'apps', kind: 'Deployment', name: 'api' },
} as unknown as ExecutionInput;

/** A starter whose runs record when they began, held back by `activity`. */
function starterWith(activity: IntakeActivity) {
  const began: string[] = [];
  const starter = new LocalExecutionStarter({
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:IncidentResponse',
    startWhen: () => activity.quiet(),
    run: async ({ name }) => {
      began.push(name);
      return { status: 'SUCCEEDED', executionName: name, executionArn: name, events: [] } as IncidentRun;
    },
  });
  return { starter, began };
}

const turns = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('IntakeActivity', () => {
  it('holds an execution back until the last delivery being answered is answered', async () => {
    // Prepare
    const activity = new IntakeActivity();
    const { starter, began } = starterWith(activity);
    activity.enter();
    activity.enter();

    // Act
    const outcome = await starter.start('am-one', INPUT);
    await turns();
    const whileAnswering = [...began];
    activity.leave();
    await turns();
    const afterOne = [...began];
    activity.leave();
    await starter.idle();

    // Assess
    expect(outcome.started).toBe(true);
    expect(whileAnswering).toEqual([]);
    expect(afterOne).toEqual([]);
    expect(began).toEqual(['am-one']);
  });

  it('lets an execution start after its longest deferral even while deliveries keep coming', async () => {
    // Prepare
    const activity = new IntakeActivity(50);
    const { starter, began } = starterWith(activity);
    activity.enter();

    // Act
    await starter.start('am-two', INPUT);
    await starter.idle();

    // Assess
    expect(began).toEqual(['am-two']);
    activity.leave();
  });

  it('keeps holding executions through a lull shorter than its quiet time, as between a storm`s connections', async () => {
    // Prepare
    const activity = new IntakeActivity(60_000, 100);
    const { starter, began } = starterWith(activity);
    activity.enter();
    await starter.start('am-four', INPUT);

    // Act: the only delivery is answered, and the next arrives 20 ms later.
    activity.leave();
    await turns();
    activity.enter();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const duringStorm = [...began];
    activity.leave();
    await starter.idle();

    // Assess
    expect(duringStorm).toEqual([]);
    expect(began).toEqual(['am-four']);
  });

  it('starts at once when no delivery is being answered', async () => {
    // Prepare
    const { starter, began } = starterWith(new IntakeActivity(60_000));

    // Act
    await starter.start('am-three', INPUT);
    await starter.idle();

    // Assess
    expect(began).toEqual(['am-three']);
  });
});
