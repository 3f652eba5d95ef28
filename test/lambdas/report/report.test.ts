import { GetObjectCommand } from '@aws-sdk/client-s3';
import { report } from '../../../lambdas/report/report';
import type { Verification, WorkflowState } from '../../../lambdas/shared/contracts';
import type { Manifest } from '../../../lambdas/shared/evidence/evidence-store';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { startLocalAws, type LocalAws } from '../../support/aws';
import { allowed, diagnosticsAt, incident, stepEvent, target } from '../step-fixtures';

let aws: LocalAws;
let store: S3EvidenceStore;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(() => {
  aws.server.reset();
  store = new S3EvidenceStore(aws.s3, aws.bucket);
});

const t = target('alldata-api');
const inc = incident(t);
const now = () => new Date('2026-01-01T00:09:00Z');

async function text(key: string): Promise<string> {
  const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return response.Body!.transformToString();
}

const check = (
  phase: Verification['phase'],
  outcome: Verification['outcome'],
  checkedAt: string,
  message: string,
) => ({
  phase,
  outcome,
  checkedAt,
  message,
});

/** An execution that restarted, failed to recover, rolled back and recovered. */
function rolledBack(): WorkflowState {
  const history = [
    check(
      'restart',
      'progressing',
      '2026-01-01T00:02:00.000Z',
      'Waiting for deployment "alldata-api" rollout to finish: 1 of 2 updated replicas are available...',
    ),
    check(
      'restart',
      'failed',
      '2026-01-01T00:06:01.000Z',
      'not healthy 300 s after the restart: Waiting for deployment "alldata-api" rollout to finish',
    ),
    check(
      'rollback',
      'healthy',
      '2026-01-01T00:08:01.000Z',
      'deployment "alldata-api" successfully rolled out; 2/2 pods of revision 4 ready',
    ),
  ];
  return {
    incident: inc,
    diagnostics: {
      ...diagnosticsAt(t, 2, 1),
      probableCause: {
        ruleId: 'crash-loop',
        cause: 'The application exits on start and Kubernetes keeps restarting it (CrashLoopBackOff).',
        suggestedFix: 'Read the previous container log.',
        runbook: 'otlp-app-troubleshooting.md § 常见故障场景 / 应用启动失败',
        evidence: 'alldata-api-1/api waiting: CrashLoopBackOff | back-off 40s',
      },
    },
    events: {
      count: 14,
      warnings: 6,
      evidence: {
        events: `${inc.evidencePrefix}events.json`,
        manifest: `${inc.evidencePrefix}manifest.json`,
      },
    },
    guard: allowed(t),
    restart: { revisionBefore: 2, restartedAt: '2026-01-01T00:01:00Z', generation: 3 },
    rollback: { fromRevision: 3, toRevision: 1, skipped: false, rolledBackAt: '2026-01-01T00:07:00.000Z' },
    verification: {
      outcome: 'healthy',
      phase: 'rollback',
      message: history[2].message,
      deadline: '2026-01-01T00:12:00.000Z',
      checkedAt: history[2].checkedAt,
      history,
      rollbackPossible: false,
    },
    notified: { notifiedAt: '2026-01-01T00:08:02.000Z', notified: ['sns', 'slack'] },
  };
}

describe('report', () => {
  it('writes a Markdown and JSON report of a recovery by rollback and adds them to the manifest', async () => {
    // Prepare
    const events = await store.putJson(`${inc.evidencePrefix}events.json`, { items: [] });
    await store.updateManifest(inc.evidencePrefix, [events]);

    // Act
    const result = await report(stepEvent(rolledBack()), { evidence: store, now });

    // Assess
    expect(result).toEqual({
      outcome: 'recovered-by-rollback',
      markdown: `${inc.evidencePrefix}report.md`,
      json: `${inc.evidencePrefix}report.json`,
    });
    const json = JSON.parse(await text(result.json));
    expect(json).toMatchObject({
      incidentId: inc.id,
      outcome: 'recovered-by-rollback',
      reportedAt: '2026-01-01T00:09:00.000Z',
      actions: [
        { action: 'rollout restart', at: '2026-01-01T00:01:00Z' },
        { action: 'rollout undo', at: '2026-01-01T00:07:00.000Z', detail: 'from revision 3 to revision 1' },
      ],
      probableCause: { ruleId: 'crash-loop' },
      evidence: [events],
    });
    expect(json.timeline.map((e: { step: string }) => e.step)).toEqual([
      'Open Incident',
      'Quick Diagnostics',
      'Collect Events',
      'Guard',
      'Restart',
      'Verify (restart)',
      'Verify (restart)',
      'Rollback',
      'Verify (rollback)',
      'Notify Recovered',
      'Report',
    ]);
    expect(json.verification).toHaveLength(3);
    const markdown = await text(result.markdown);
    expect(markdown).toContain(`# Incident ${inc.id}`);
    expect(markdown).toContain('**Recovered by a rollback** (`recovered-by-rollback`)');
    expect(markdown).toContain('```mermaid\nflowchart LR\n  s0["Open Incident<br/>00:00:00Z"]');
    expect(markdown).toContain('  s0 --> s1\n');
    expect(markdown).toContain('  class s6 failed');
    expect(markdown).toContain('| 2026-01-01T00:07:00.000Z | rollout undo | from revision 3 to revision 1 |');
    expect(markdown).toContain(
      '- **Evidence:** `alldata-api-1/api waiting: CrashLoopBackOff | back-off 40s`',
    );
    expect(markdown).toContain(`| \`events.json\` | ${events.size} | \`${events.sha256}\` |`);
    const manifest = (await store.getJson<Manifest>(`${inc.evidencePrefix}manifest.json`))!;
    expect(manifest.objects.map((o) => o.key.slice(inc.evidencePrefix.length))).toEqual([
      'events.json',
      'report.json',
      'report.md',
    ]);
  });

  it.each<[string, WorkflowState, string]>([
    [
      'recovered-by-restart',
      {
        ...rolledBack(),
        rollback: undefined,
        verification: { ...rolledBack().verification!, phase: 'restart', history: [] },
      },
      'Recovered by a rollout restart',
    ],
    [
      'dry-run',
      {
        incident: incident(t, { dryRun: true }),
        guard: { allowed: false, reason: 'dry-run', detail: 'Dry run.' },
      },
      'Dry run: diagnosed and reported, nothing changed',
    ],
    [
      'escalated',
      {
        incident: inc,
        error: { Error: 'KubernetesRequestError', Cause: 'forbidden' },
        escalation: {
          escalatedAt: '2026-01-01T00:00:30.000Z',
          why: 'A step of the workflow failed',
          notified: ['sns'],
        },
      },
      'Escalated to a human',
    ],
    [
      'escalated',
      { incident: incident(t, { dryRun: true }), error: { Error: 'States.Timeout' } },
      'Escalated to a human',
    ],
  ])('reports the outcome %s', async (outcome, state, headline) => {
    // Act
    const result = await report(stepEvent(state), { evidence: store, now });

    // Assess
    expect(result.outcome).toBe(outcome);
    expect(await text(result.markdown)).toContain(`**${headline}**`);
  });

  it('says plainly when nothing was changed', async () => {
    // Act
    const result = await report(
      stepEvent({
        incident: incident(t, { dryRun: true }),
        guard: { allowed: false, reason: 'dry-run', detail: 'Dry run.' },
      }),
      { evidence: store, now },
    );

    // Assess
    const markdown = await text(result.markdown);
    expect(markdown).toContain('## Actions\n\nNothing in the cluster was changed.');
    expect(markdown).toContain('  class s1 skipped');
  });

  it('includes the alerts the webhook intake recorded as resolved while the incident ran', async () => {
    // Prepare: what the intake writes when Alertmanager reports the alert resolved.
    const firing = { ...inc, source: 'alertmanager' as const };
    const resolved = {
      kind: 'ResolvedAlert',
      recordedAt: '2026-01-01T00:07:02.000Z',
      receiver: 'eks-incident-response',
      groupKey: '{}/{severity="critical"}:{alertname="KubePodCrashLooping", namespace="one-data-alldata"}',
      alertname: 'KubePodCrashLooping',
      fingerprint: '5e0d8c1a7b3f9e21',
      startsAt: '2026-01-01T00:00:00.123456789Z',
      endsAt: '2026-01-01T00:07:00Z',
      labels: { alertname: 'KubePodCrashLooping', namespace: 'one-data-alldata' },
      annotations: { summary: 'Pod is crash looping.' },
      generatorURL: 'http://prometheus:9090/graph',
    };
    await store.putJson(
      `${firing.evidencePrefix}alerts/5e0d8c1a7b3f9e21-20260101T000000Z-resolved.json`,
      resolved,
    );

    // Act
    const result = await report(stepEvent({ ...rolledBack(), incident: firing }), { evidence: store, now });

    // Assess
    const json = JSON.parse(await text(result.json)) as {
      resolvedAlerts: unknown[];
      timeline: Array<{ step: string; at?: string }>;
    };
    expect(json.resolvedAlerts).toEqual([
      {
        alertname: 'KubePodCrashLooping',
        fingerprint: '5e0d8c1a7b3f9e21',
        startsAt: '2026-01-01T00:00:00.123456789Z',
        endsAt: '2026-01-01T00:07:00Z',
        recordedAt: '2026-01-01T00:07:02.000Z',
      },
    ]);
    expect(json.timeline.slice(-2)).toEqual([
      expect.objectContaining({ step: 'Alert resolved', at: '2026-01-01T00:07:00Z' }),
      expect.objectContaining({ step: 'Report' }),
    ]);
    const markdown = await text(result.markdown);
    expect(markdown).toContain('## Alerts resolved');
    expect(markdown).toContain('| 2026-01-01T00:07:00Z | KubePodCrashLooping | `5e0d8c1a7b3f9e21` |');
  });
});
