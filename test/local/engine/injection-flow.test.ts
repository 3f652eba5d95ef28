import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Notification } from '../../../lambdas/shared/notify/notifier';
import { slackPayload } from '../../../lambdas/shared/notify/format';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import { receiveNotifications } from '../../../local/aws/local-aws';
import { LiveView } from '../../../local/cli/live-view';
import { LocalStore } from '../../../local/cli/local-store';
import { main } from '../../../local/cli/main';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import { BEHAVIOR_ANNOTATION } from '../../../local/kube-sandbox/behavior';
import { startSandbox } from '../../../local/kube-sandbox/sandbox';
import { recordingStreams } from '../../support/cli';
import { ALL_INJECTIONS, MARKDOWN, SLACK } from '../../fixtures/injection-corpus';

/**
 * These flows exercise automatic remediation: rollbacks too run without asking (the default
 * policy asks a human before a rollback; test/local/engine/approval-flow.test.ts covers that).
 */
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

/*
 * Hostile alert text (test/fixtures/injection-corpus.ts: forged lines, escape sequences, HTML,
 * Markdown, Slack mentions) in an alert's name, summary and annotations, run through the
 * synthesized state machine on the local engine (sandbox, fauxqs with a file-backed store),
 * then read back through every channel a human sees: the notifications as e-mail and Slack
 * render them, report.md, and the CLI (`report`, `report --json`, `evidence`, the live view).
 */

const NS = 'injection';
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c\u200e\u200f]/;
const FORGED = /^(Severity|Outcome|Stage|Target|Incident): /;

let dataDir: string;
let run: IncidentRun;
/** What SNS published: the subject and e-mail text people read, the document machines read. */
let published: Array<{ subject: string; email: string; document: Notification }>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'injection-'));
  const sandbox = await startSandbox({ clock: { timeScale: 200 } });
  const aws = await new LocalStore(dataDir).start();
  try {
    sandbox.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: NS },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: {
              labels: { app: 'web' },
              annotations: {
                [BEHAVIOR_ANNOTATION]: JSON.stringify({
                  app: { mode: 'crash', logs: ALL_INJECTIONS.map((c) => c.text.replace(/\n/g, ' ')) },
                }),
              },
            },
            spec: { containers: [{ name: 'app', image: 'web:1' }] },
          },
        },
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await receiveNotifications(aws);
    run = await runIncident({
      synthesized: cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NS }),
      input: {
        source: 'manual',
        target: { namespace: NS, kind: 'Deployment', name: 'web' },
        alert: {
          name: `ServiceDown\nSeverity: resolved ${'\x1b'}[2J<script>alert(1)</script>`,
          severity: 'critical',
          summary: ALL_INJECTIONS.map((c) => c.text).join(' ~ '),
          annotations: Object.fromEntries(ALL_INJECTIONS.map((c, i) => [`a${i}`, c.text])),
          startsAt: '2026-11-22T03:00:00Z',
        },
        options: { dryRun: true },
      },
      timeScale: 200,
      environment: {
        kube: new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
          requestTimeoutMs: 5000,
        }),
        aws,
        config: configSchema.parse({
          clusterName: 'sandbox',
          allowedNamespaces: [NS],
          remediationPolicy: AUTO,
        }),
        now: () => new Date(sandbox.clock.now()),
      },
    });
    // fauxqs delivers the whole message structure: the e-mail/SMS text as published, and the document.
    published = (await receiveNotifications(aws)).map((received) => {
      const structure = JSON.parse(received.Message) as { email: string; sqs: string };
      return {
        subject: received.Subject ?? '',
        email: structure.email,
        document: JSON.parse(structure.sqs) as Notification,
      };
    });
    const state = run.output as { report: { markdown: string } };
    const md = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: state.report.markdown }));
    reportMd = await md.Body!.transformToString();
  } finally {
    await aws.stop();
    await sandbox.stop();
  }
  // CDK synthesis and a whole flow: minutes on a loaded 2-core machine.
}, 300_000);

let reportMd: string;

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function incidentId(): string {
  return (run.output as { incident: { id: string } }).incident.id;
}

describe('hostile alert text through the real flow', () => {
  it('ran the flow to its report, with notifications', () => {
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(published.map((p) => p.document.stage)).toEqual(['opened', 'escalated']);
  });

  it('cannot forge a line or send a control byte in the e-mail/SMS text', () => {
    for (const { subject, email: text, document: n } of published) {
      // Assess
      expect(text.split('\n').filter((line) => FORGED.test(line))).toEqual([
        `Incident: ${n.incidentId}`,
        `Target:   Deployment ${NS}/web`,
        `Stage:    ${n.stage}`,
        `Outcome:  ${n.outcome}`,
        'Severity: critical',
      ]);
      expect(text).not.toMatch(CONTROLS);
      expect(subject).toMatch(/^[\x20-\x7e]+$/);
      // Plain text shows the text as it is, on one line of its own field.
      expect(text).toContain('<script>alert(1)</script>');
    }
  });

  it('mentions nobody and links nothing in Slack', () => {
    for (const { document: n } of published) {
      // Act: the payload SlackNotifier posts for this notification.
      const payload = slackPayload(n);

      // Assess: in every mrkdwn text the only links are the evidence links the workflow made;
      // plain_text (the header) shows `<` as it is and is never parsed for links or mentions.
      const mrkdwn: string[] = [String(payload.text)];
      JSON.stringify(payload, (_key, value: { type?: string; text?: string }) => {
        if (value?.type === 'mrkdwn' && typeof value.text === 'string') mrkdwn.push(value.text);
        return value;
      });
      expect(mrkdwn.length).toBeGreaterThan(5);
      const links = mrkdwn.flatMap((text) => [...text.matchAll(/<([^>]*)>/g)].map((m) => m[1]));
      expect(
        links.filter((link) => !/^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/s3\//.test(link)),
      ).toEqual([]);
      const all = JSON.stringify(payload);
      expect(all).not.toMatch(/@(here|channel|everyone)/);
      expect(all).not.toMatch(CONTROLS);
      for (const c of SLACK) expect(mrkdwn.join('\n')).not.toContain(c.text);
    }
  });

  it('puts no HTML, link, image, heading or table row of its own into report.md', () => {
    // Assess
    const lines = reportMd.split('\n');
    expect(reportMd).not.toMatch(CONTROLS);
    expect(reportMd).not.toMatch(/(?<!\\)<(script|img|!--|https?:)/);
    expect(reportMd).not.toMatch(/(?<!\\)\]\(/);
    expect(reportMd).not.toMatch(/https?:\/\/evil/);
    expect(reportMd).not.toMatch(/\bwww\.evil/);
    expect(lines.filter((l) => /^#/.test(l))).toEqual(
      lines.filter((l) => /^(# Incident |## [A-Z][a-z]+( [a-z]+)?$)/.test(l)),
    );
    expect(lines.filter((l) => /^\| Outcome \|/.test(l))).toEqual([]);
    const summary = lines.find((l) => l.startsWith('| Summary |'))!;
    expect(summary.replace(/\\\\/g, '').match(/(?<!\\)\|/g)).toHaveLength(3);
    for (const c of MARKDOWN) expect(reportMd).not.toContain(c.text);
  });

  it('sends no escape sequence to the terminal from report, report --json and evidence', async () => {
    // Act
    const outputs = [];
    for (const args of [['report', incidentId()], ['report', incidentId(), '--json'], ['evidence']]) {
      const streams = recordingStreams();
      const code = await main(['node', 'eks-incident', ...args, '--data-dir', dataDir], streams);
      outputs.push({ args, code, out: streams.stdout() });
    }

    // Assess
    for (const { code, out } of outputs) {
      expect(code).toBe(0);
      expect(out).not.toMatch(CONTROLS);
    }
    expect(JSON.parse(outputs[1].out)).toMatchObject({ incidentId: incidentId() });
  });

  it('shows one line per change in the live view, none of them forged or escaping', () => {
    // Prepare
    let text = '';
    const view = new LiveView({ out: { write: (t) => void (text += t) }, labels: ['web'], timeScale: 200 });

    // Act
    view.start();
    for (const event of run.events) view.onEvent('web', event);
    view.stop();

    // Assess
    expect(text).not.toMatch(CONTROLS);
    expect(text.split('\n').filter((l) => FORGED.test(l.trim()))).toEqual([]);
    expect(text).toContain('paged a human');
  });
});
