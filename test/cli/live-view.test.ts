import type { WorkflowState } from '../../lambdas/shared/contracts';
import { evidenceSection, summaryTable, type IncidentSummary } from '../../local/cli/incident-summary';
import { LiveView } from '../../local/cli/live-view';
import type { EventLog } from '../../local/engine/run-incident';

/** The events aws-local-stepfunctions logs, in its shapes. */
const entered = (name: string, type: string): EventLog =>
  ({ type: 'StateEntered', timestamp: 0, state: { name, type, input: {} } }) as EventLog;
const exited = (name: string, output: Partial<WorkflowState>): EventLog =>
  ({ type: 'StateExited', timestamp: 0, state: { name, type: 'Task', input: {}, output } }) as EventLog;
const failed = (name: string, error: string): EventLog =>
  ({
    type: 'StateFailed',
    timestamp: 0,
    state: { name, type: 'Task', input: {} },
    Error: error,
    Cause: '',
  }) as EventLog;
const retried = (name: string, attempt: number): EventLog =>
  ({
    type: 'StateRetried',
    timestamp: 0,
    state: { name, type: 'Task', input: {} },
    retry: { retrier: { ErrorEquals: ['KubernetesServerError'] }, attempt },
  }) as EventLog;

const ID = '20261122-031500-one-data-alldata-alldata-api-3f2a1c';
const PREFIX = `incidents/2026/11/22/${ID}/`;

function summary(overrides: Partial<IncidentSummary> = {}): IncidentSummary {
  return {
    label: 'alldata-api',
    incidentId: ID,
    target: { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' },
    alert: { name: 'ServiceDown', severity: 'critical' },
    outcome: 'recovered-by-restart',
    actions: ['rollout restart'],
    durationSeconds: 125,
    wallSeconds: 1.25,
    execution: {
      name: 'am-x',
      arn: 'arn:aws:states:us-east-1:000000000000:execution:IncidentResponse:am-x',
      status: 'SUCCEEDED',
    },
    evidence: {
      bundle: `s3://eks-incident-evidence/${PREFIX}`,
      report: `s3://eks-incident-evidence/${PREFIX}report.md`,
      reportJson: `s3://eks-incident-evidence/${PREFIX}report.json`,
      files: {
        bundle: `.data/s3/buckets/eks-incident-evidence/objects/${PREFIX}`,
        report: `.data/s3/buckets/eks-incident-evidence/objects/${PREFIX}report.md.data`,
      },
    },
    ...overrides,
  };
}

function recorder(tty: boolean) {
  let text = '';
  return { out: { write: (t: string) => void (text += t), isTTY: tty, columns: 80 }, text: () => text };
}

describe('LiveView', () => {
  it('prints one line per state change when stdout is not a terminal, timed in workflow time', () => {
    // Prepare
    let wall = 1_000;
    const { out, text } = recorder(false);
    const view = new LiveView({
      out,
      labels: ['alldata-api', 'agent-api'],
      timeScale: 100,
      wallNow: () => wall,
    });

    // Act
    view.start();
    view.onEvent('alldata-api', entered('Open Incident', 'Task'));
    view.onEvent(
      'alldata-api',
      exited('Open Incident', { incident: { id: ID } as WorkflowState['incident'] }),
    );
    view.onEvent('alldata-api', entered('Remediation Allowed?', 'Choice'));
    wall += 600;
    view.onEvent('alldata-api', entered('Restart', 'Task'));
    view.onEvent('alldata-api', failed('Restart', 'KubernetesServerError'));
    view.onEvent('alldata-api', retried('Restart', 1));
    wall += 1_250;
    view.finish('alldata-api', summary());
    view.stop();

    // Assess
    expect(text()).toBe(
      [
        '    0s  alldata-api  Open Incident',
        `    0s  alldata-api    incident ${ID}`,
        ' 1m00s  alldata-api  Restart',
        ' 1m00s  alldata-api    Restart: retry 1 after KubernetesServerError',
        ' 3m05s  alldata-api  done: recovered by restart',
        '',
      ].join('\n'),
    );
  });

  it('redraws every incident in place on a terminal, within its width', () => {
    // Prepare
    let wall = 0;
    const { out, text } = recorder(true);
    const view = new LiveView({
      out,
      labels: ['alldata-api', 'bisheng-api'],
      timeScale: 1,
      wallNow: () => wall,
      refreshMs: 3_600_000,
    });

    // Act
    view.start();
    view.onEvent('bisheng-api', entered('Verify', 'Task'));
    wall += 42_000;
    view.onEvent(
      'bisheng-api',
      exited('Verify', {
        verification: {
          outcome: 'progressing',
          message:
            'Waiting for deployment "bisheng-api" rollout to finish: 1 out of 2 new replicas have been updated...',
        } as WorkflowState['verification'],
      }),
    );
    view.finish('alldata-api', summary());
    view.stop();

    // Assess
    const frames = text().split('\x1b[2A');
    expect(frames).toHaveLength(2);
    const last = frames[1]
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace('\r\x1b[2K', ''));
    expect(last).toHaveLength(2);
    expect(last[0]).toMatch(/^ {2}alldata-api {2}✔ recovered by restart +0s/);
    expect(last[1]).toMatch(/^ {2}bisheng-api {2}Verify +42s {2}progressing: Waiting for/);
    for (const line of last) expect(line.length).toBeLessThanOrEqual(79);
    expect(last[1].endsWith('…')).toBe(true);
  });
});

describe('the summary', () => {
  it('is a table of incident, target, outcome, actions and duration', () => {
    // Act
    const table = summaryTable(
      [
        summary(),
        summary({
          label: 'bisheng-api',
          incidentId: '20261122-031501-one-data-bisheng-bisheng-api-0a1b2c',
          target: { namespace: 'one-data-bisheng', kind: 'Deployment', name: 'bisheng-api' },
          outcome: 'escalated',
          actions: ['rollout restart', 'rollout undo to revision 1', 'paged a human', 'cluster dump'],
          durationSeconds: 783,
          wallSeconds: 7.83,
        }),
      ],
      100,
    );

    // Assess
    expect(table.split('\n')).toEqual([
      'INCIDENT                                             TARGET                                   OUTCOME               ACTIONS                           DURATION (WALL)',
      `${ID}  Deployment one-data-alldata/alldata-api  recovered by restart  restart                           2m05s (1.3s)`,
      '20261122-031501-one-data-bisheng-bisheng-api-0a1b2c  Deployment one-data-bisheng/bisheng-api  escalated             restart, undo to r1, paged, dump  13m03s (7.8s)',
      '',
    ]);
  });

  it('says where each report and bundle is, as s3:// keys and files, and what failed', () => {
    // Act
    const text = evidenceSection(
      [
        summary(),
        {
          ...summary({ label: 'bad', outcome: 'failed', actions: [] }),
          incidentId: undefined,
          evidence: undefined,
          error: { Error: 'InvalidInputError', Cause: 'invalid execution input: target.name: ...' },
        },
      ],
      { description: 'local store .data/s3', uri: (key) => `s3://eks-incident-evidence/${key}` },
      'read:   npx eks-incident report',
    );

    // Assess
    expect(text.split('\n')).toEqual([
      'Evidence (local store .data/s3):',
      `  ${ID}`,
      `    bundle   s3://eks-incident-evidence/${PREFIX}`,
      `             .data/s3/buckets/eks-incident-evidence/objects/${PREFIX}`,
      `    report   s3://eks-incident-evidence/${PREFIX}report.md`,
      `             .data/s3/buckets/eks-incident-evidence/objects/${PREFIX}report.md.data`,
      `             read:   npx eks-incident report ${ID}`,
      '  bad: no incident was opened (InvalidInputError)',
      '',
    ]);
  });
});
