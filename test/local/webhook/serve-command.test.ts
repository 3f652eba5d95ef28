import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import {
  registerServeCommand,
  serveCommand,
  SERVE_PORT,
  type RunningServe,
} from '../../../local/cli/serve-command';

/*
 * `eks-incident serve` as the CLI wires it: the kubeconfig of a cluster (the sandbox here), the
 * local evidence store in a data folder, the synthesized state machine on the local engine.
 */

let sandbox: Sandbox;
let dir: string;
let running: RunningServe | undefined;
let printed: string;
const streams = {
  out: { write: (text: string) => void (printed += text) },
  err: { write: (text: string) => void (printed += text) },
};

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: 100 } });
  dir = mkdtempSync(path.join(tmpdir(), 'serve-command-'));
  await sandbox.writeKubeconfig(path.join(dir, 'kubeconfig'));
});

afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  printed = '';
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('serveCommand', () => {
  it('serves the webhook with a generated token and runs what it starts as a dry run when no namespace is allowed', async () => {
    // Prepare
    running = await serveCommand(
      { port: 0, kubeconfig: path.join(dir, 'kubeconfig'), dataDir: path.join(dir, 'data'), timeScale: 100 },
      streams,
    );
    const pod = sandbox.store
      .list(types.pods, 'one-data-alldata')
      .find((p) => p.metadata.name?.startsWith('alldata-api-'))!.metadata.name!;
    const labels = {
      alertname: 'KubePodCrashLooping',
      namespace: 'one-data-alldata',
      pod,
      severity: 'warning',
    };
    const payload = {
      version: '4',
      groupKey: '{}:{alertname="KubePodCrashLooping"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'eks-incident-response',
      groupLabels: { alertname: 'KubePodCrashLooping' },
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: { summary: 'Pod is crash looping.' },
          startsAt: '2026-11-22T04:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: '0123456789abcdef',
        },
      ],
    };

    // Act
    const response = await fetch(running.server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${running.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    await running.starter.idle();

    // Assess
    expect(response.status).toBe(200);
    expect(printed).toContain(`Alertmanager webhook listening on ${running.server.url}`);
    expect(printed).toContain(`token (generated): ${running.token}`);
    expect(printed).toContain('every execution is a dry run');
    const [execution] = running.starter.list();
    expect(execution.input).toMatchObject({
      target: { kind: 'Deployment', namespace: 'one-data-alldata', name: 'alldata-api' },
      options: { dryRun: true },
    });
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('takes the token from EKS_INCIDENT_WEBHOOK_TOKEN and acts in the allowed namespaces', async () => {
    // Prepare
    process.env.EKS_INCIDENT_WEBHOOK_TOKEN = 'from-the-environment-0123';

    try {
      // Act
      running = await serveCommand(
        {
          port: 0,
          kubeconfig: path.join(dir, 'kubeconfig'),
          dataDir: path.join(dir, 'data'),
          allowedNamespaces: ['one-data-alldata'],
        },
        streams,
      );

      // Assess
      expect(running.token).toBe('from-the-environment-0123');
      expect(running.config.webhookDryRun).toBe(false);
      expect(printed).toContain('executions may restart or roll back in: one-data-alldata');
      expect(printed).not.toContain('from-the-environment-0123');
    } finally {
      delete process.env.EKS_INCIDENT_WEBHOOK_TOKEN;
    }
  });

  it('is registered as `serve`, on port 9095 unless told otherwise', () => {
    // Prepare
    const program = new Command('eks-incident');

    // Act
    registerServeCommand(program, streams);

    // Assess
    const serve = program.commands.find((c) => c.name() === 'serve')!;
    expect(SERVE_PORT).toBe(9095);
    expect(serve.options.find((o) => o.long === '--port')?.defaultValue).toBe(9095);
    expect(serve.options.map((o) => o.long)).toEqual(
      expect.arrayContaining([
        '--token',
        '--kubeconfig',
        '--allowed-namespaces',
        '--alert-targets',
        '--dry-run',
      ]),
    );
  });
});
