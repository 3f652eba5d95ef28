import type { Diagnostics, ReportResult, WorkflowState } from '../../../../lambdas/shared/contracts';
import {
  diagnosisMetrics,
  outcomeMetrics,
  publish,
} from '../../../../lambdas/shared/observability/incident-metrics';

const OPENED = '2026-01-01T00:00:00.000Z';

function state(extra: Partial<WorkflowState> = {}): WorkflowState {
  return {
    incident: { id: '20260101-000000-apps-api-abc123', openedAt: OPENED, source: 'alertmanager' },
    ...extra,
  } as WorkflowState;
}

const result = (outcome: ReportResult['outcome']): ReportResult => ({
  outcome,
  markdown: 'r.md',
  json: 'r.json',
});

/** Runs `act` and returns the JSON documents it printed to stdout, and what it printed to stderr. */
function printed(act: () => void): { documents: Array<Record<string, unknown>>; stderr: string } {
  const chunks: string[] = [];
  const errors: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const documents = chunks
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { documents, stderr: errors.join('') };
}

describe('outcomeMetrics', () => {
  it('counts a recovery by source and outcome, with its actions and its time to recover', () => {
    // Prepare
    const recovered = state({
      restart: { revisionBefore: 3, restartedAt: OPENED, generation: 4 },
      rollback: { fromRevision: 4, toRevision: 3, skipped: false, rolledBackAt: OPENED },
    });

    // Act
    const records = outcomeMetrics(
      recovered,
      result('recovered-by-rollback'),
      new Date('2026-01-01T00:04:30Z'),
    );

    // Assess
    expect(records).toEqual([
      {
        name: 'Incidents',
        unit: 'Count',
        value: 1,
        dimensionSets: [
          { Outcome: 'recovered-by-rollback' },
          { Source: 'alertmanager', Outcome: 'recovered-by-rollback' },
        ],
      },
      { name: 'RemediationActions', unit: 'Count', value: 1, dimensionSets: [{ Action: 'restart' }] },
      { name: 'RemediationActions', unit: 'Count', value: 1, dimensionSets: [{ Action: 'rollback' }] },
      {
        name: 'TimeToRecover',
        unit: 'Seconds',
        value: 270,
        dimensionSets: [{}, { Outcome: 'recovered-by-rollback' }],
      },
    ]);
  });

  it('records no action and no time to recover for an escalation; a skipped rollback is no action', () => {
    // Act
    const records = outcomeMetrics(
      state({ rollback: { fromRevision: 2, toRevision: 2, skipped: true, rolledBackAt: OPENED } }),
      result('escalated'),
      new Date(),
    );

    // Assess
    expect(records.map((r) => [r.name, r.dimensionSets])).toEqual([
      ['Incidents', [{ Outcome: 'escalated' }, { Source: 'alertmanager', Outcome: 'escalated' }]],
      ['RemediationActions', [{ Action: 'none' }]],
    ]);
  });
});

describe('diagnosisMetrics', () => {
  it('hits every rule behind a hypothesis once, and names the first as the top cause', () => {
    // Prepare
    const hypotheses = ['db-not-ready', 'oom-killed', 'db-not-ready'].map((ruleId) => ({ ruleId }));

    // Act
    const records = diagnosisMetrics({ hypotheses } as Diagnostics);

    // Assess
    expect(records.map((r) => [r.name, r.dimensionSets[0].Rule])).toEqual([
      ['DiagnosisRuleHits', 'db-not-ready'],
      ['DiagnosisRuleHits', 'oom-killed'],
      ['TopCause', 'db-not-ready'],
    ]);
  });

  it('names no rule as the top cause when none matched', () => {
    expect(diagnosisMetrics({ hypotheses: [] } as unknown as Diagnostics)).toEqual([
      { name: 'TopCause', unit: 'Count', value: 1, dimensionSets: [{ Rule: '(none)' }] },
    ]);
  });
});

describe('publish', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('prints an EMF document per metric and dimension set, in the namespace and service of the environment', () => {
    // Prepare
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'EksIncidentResponseTest';
    process.env.POWERTOOLS_SERVICE_NAME = 'incident-stack';
    const records = outcomeMetrics(
      state({ restart: { revisionBefore: 3, restartedAt: OPENED, generation: 4 } }),
      result('recovered-by-restart'),
      new Date('2026-01-01T00:01:00Z'),
    );

    // Act
    const { documents, stderr } = printed(() => publish(records));

    // Assess: Powertools had nothing to warn about.
    expect(stderr).toBe('');
    const emf = documents.map((d) => {
      const [directive] = (d._aws as { CloudWatchMetrics: Array<Record<string, unknown>> }).CloudWatchMetrics;
      return directive;
    });
    expect(emf.map((d) => [d.Namespace, d.Dimensions, d.Metrics])).toEqual([
      ['EksIncidentResponseTest', [['service', 'Outcome']], [{ Name: 'Incidents', Unit: 'Count' }]],
      ['EksIncidentResponseTest', [['service', 'Source', 'Outcome']], [{ Name: 'Incidents', Unit: 'Count' }]],
      ['EksIncidentResponseTest', [['service', 'Action']], [{ Name: 'RemediationActions', Unit: 'Count' }]],
      ['EksIncidentResponseTest', [['service']], [{ Name: 'TimeToRecover', Unit: 'Seconds' }]],
      ['EksIncidentResponseTest', [['service', 'Outcome']], [{ Name: 'TimeToRecover', Unit: 'Seconds' }]],
    ]);
    expect(documents[1]).toEqual({
      _aws: expect.objectContaining({ Timestamp: expect.any(Number) }),
      service: 'incident-stack',
      Source: 'alertmanager',
      Outcome: 'recovered-by-restart',
      Incidents: 1,
    });
    expect(documents[2]).toMatchObject({ Action: 'restart', RemediationActions: 1 });
    expect(documents[4]).toMatchObject({ Outcome: 'recovered-by-restart', TimeToRecover: 60 });
  });
});
