import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { notify } from '../../../lambdas/notify/notify';
import {
  quietOpening,
  SfnIncidentsInFlight,
  stateMachineArnOf,
  type IncidentsInFlight,
} from '../../../lambdas/notify/storm-quiet';
import type { Incident } from '../../../lambdas/shared/contracts';
import type { Notification, Notifier } from '../../../lambdas/shared/notify/notifier';

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:IncidentResponse-AbC123:alert-7f3e';
const running = (n: number | undefined): IncidentsInFlight => ({
  count: async (_arn, limit) => n && Math.min(n, limit),
});

describe('quietOpening', () => {
  it('is quiet only with more incidents in flight than the cluster budget, and never on an unknown count', async () => {
    expect(await quietOpening(EXECUTION_ARN, { inFlight: running(3), clusterBudget: 3 })).toBeUndefined();
    expect(await quietOpening(EXECUTION_ARN, { inFlight: running(4), clusterBudget: 3 })).toMatch(
      /^more than 3 incidents in flight/,
    );
    expect(
      await quietOpening(EXECUTION_ARN, { inFlight: running(undefined), clusterBudget: 3 }),
    ).toBeUndefined();
  });
});

describe('SfnIncidentsInFlight', () => {
  it('lists one page of RUNNING executions of the execution`s own state machine, no more than needed', async () => {
    // Prepare
    const sent: unknown[] = [];
    const client = {
      send: async (command: unknown) => {
        sent.push((command as ListExecutionsCommand).input);
        return { executions: [{}, {}, {}, {}] };
      },
    };

    // Act
    const count = await new SfnIncidentsInFlight(client as never).count(EXECUTION_ARN, 4);

    // Assess
    expect(count).toBe(4);
    expect(sent).toEqual([
      {
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:IncidentResponse-AbC123',
        statusFilter: 'RUNNING',
        maxResults: 4,
      },
    ]);
  });

  it('does not know (so the page goes out) when Step Functions refuses or the ARN is not an execution', async () => {
    // Prepare
    const throttled = {
      send: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    };

    // Act + Assess
    expect(await new SfnIncidentsInFlight(throttled as never).count(EXECUTION_ARN, 4)).toBeUndefined();
    expect(stateMachineArnOf('arn:aws:states:eu-west-1:1:stateMachine:X')).toBeUndefined();
  });
});

describe('Open Incident in a storm', () => {
  it('opens the incident without a page, saying why, when too many are in flight', async () => {
    // Prepare
    const sent: Notification[] = [];
    const notifier: Notifier = {
      notify: async (n) => {
        sent.push(n);
        return ['sns'];
      },
    };
    const input = {
      source: 'alertmanager',
      target: { namespace: 'storm-a', kind: 'Deployment', name: 'api' },
      alert: {
        name: 'KubePodCrashLooping',
        severity: 'critical',
        summary: 'api',
        startsAt: '2026-11-22T03:00:00Z',
      },
    };
    const event = {
      state: input,
      execution: { id: EXECUTION_ARN, name: 'alert-7f3e', startTime: '2026-11-22T03:00:05Z' },
      params: { stage: 'opened' },
    };
    const deps = (n: number) => async () => ({
      notifier,
      bucket: 'evidence',
      region: 'eu-west-1',
      now: () => new Date('2026-11-22T03:00:06Z'),
      stormQuiet: { inFlight: running(n), clusterBudget: 3 },
    });

    // Act
    const quiet = (await notify(event, deps(7))) as Incident;
    const paged = (await notify(event, deps(2))) as Incident;

    // Assess
    expect(quiet.quietOpening).toMatch(/^more than 3 incidents in flight/);
    expect(quiet.evidencePrefix).toMatch(/^incidents\/2026\/11\/22\//);
    expect(paged.quietOpening).toBeUndefined();
    expect(sent.map((n) => [n.stage, n.incidentId])).toEqual([['opened', paged.id]]);
  });
});
