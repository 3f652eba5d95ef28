import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lockName } from '../../../lambdas/guard/guard';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { remediationsOf } from '../../../lambdas/shared/kubernetes/remediation-record';
import { serveCommand, type RunningServe } from '../../../local/cli/serve-command';
import { LocalExecutionRegistry } from '../../../local/engine/execution-registry';
import { finalStateOf } from '../../../local/engine/unheard';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { startCli, stopAllClis } from '../../support/cli';

/*
 * Issue 10, classes 5 (no silent drops) and 6 (alert filing), against the real `serve`: the CLI's
 * serveCommand in-process, or `eks-incident serve` as a process that is killed mid-incident, the
 * sandbox over HTTP and the local store on disk.
 */

const ALLDATA = { kind: 'Deployment', namespace: 'one-data-alldata', name: 'alldata-api' };

let sandbox: Sandbox;
let dir: string;
let dataDir: string;
let running: RunningServe | undefined;
let printed: string;
const streams = {
  out: { write: (text: string) => void (printed += text) },
  err: { write: (text: string) => void (printed += text) },
};

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: 100 } });
  dir = mkdtempSync(path.join(tmpdir(), 'no-silent-drops-'));
  await sandbox.writeKubeconfig(path.join(dir, 'kubeconfig'));
});

afterAll(async () => {
  await stopAllClis();
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

let run = 0;
beforeEach(() => {
  printed = '';
  run += 1;
  dataDir = path.join(dir, `data-${run}`);
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function payload(
  labels: Record<string, string>,
  startsAt = '2026-11-22T04:00:00Z',
  fingerprint = 'a1b2c3d4e5f60718',
) {
  const all = { alertname: 'KubeDeploymentReplicasMismatch', severity: 'warning', ...labels };
  return {
    version: '4',
    groupKey: '{}:{alertname="KubeDeploymentReplicasMismatch"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'eks-incident-response',
    groupLabels: { alertname: all.alertname },
    commonLabels: all,
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: all,
        annotations: { summary: 'Deployment has not matched the expected number of replicas.' },
        startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint,
      },
    ],
  };
}

async function deliver(serve: { url: string; token: string }, body: unknown): Promise<Response> {
  return fetch(serve.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function startServe(options: { allowedNamespaces?: string[]; timeScale?: number } = {}) {
  running = await serveCommand(
    {
      port: 0,
      kubeconfig: path.join(dir, 'kubeconfig'),
      dataDir,
      timeScale: options.timeScale ?? 100,
      allowedNamespaces: options.allowedNamespaces,
    },
    streams,
  );
  return { url: running.server.url, token: running.token };
}

type Executions = { executions: Array<{ name: string; started: boolean }> };

describe('class 5: every firing alert ends in a running incident or a notification', () => {
  test('a firing alert whose execution ended without recovery starts its successor, once per ended execution', async () => {
    // Prepare: bisheng-api is OOMKilled in every revision, so each execution (not a dry run: its
    // namespace is allowed) escalates and ends FAILED.
    const serve = await startServe({ allowedNamespaces: ['one-data-bisheng'] });
    const alert = payload({ namespace: 'one-data-bisheng', deployment: 'bisheng-api' });
    const first = (await (await deliver(serve, alert)).json()) as Executions;
    await running!.starter.idle();

    // Act: Alertmanager repeats the same firing (repeat_interval) after the execution ended,
    // twice at once (an HA pair), then again while the successor still runs, then after it ended.
    const [again, twin] = (await Promise.all(
      [deliver(serve, alert), deliver(serve, alert)].map(async (r) => (await r).json()),
    )) as Executions[];
    const whileRunning = (await (await deliver(serve, alert)).json()) as Executions;
    await running!.starter.idle();
    const later = (await (await deliver(serve, alert)).json()) as Executions;
    await running!.starter.idle();

    // Assess
    const name = first.executions[0].name;
    expect(first.executions[0].started).toBe(true);
    expect([again, twin].flatMap((r) => r.executions).filter((e) => e.started)).toEqual([
      { ...again.executions[0], name: `${name}-r1`, started: true },
    ]);
    expect(whileRunning.executions[0]).toMatchObject({ name: `${name}-r1`, started: false });
    expect(later.executions[0]).toMatchObject({ name: `${name}-r2`, started: true });
    expect(running!.starter.list().map((e) => e.name)).toEqual([name, `${name}-r1`, `${name}-r2`]);
  }, 180_000);

  test('serve killed mid-incident: after a restart the index is recovered, the alert starts a successor, which respects the cooldown the killed execution recorded', async () => {
    // Prepare: `eks-incident serve` as a process, acting in one-data-alldata in real time (its 60 s
    // Wait keeps the incident running), killed once the restart was sent.
    const cli = startCli([
      'serve',
      '--port',
      '0',
      '--kubeconfig',
      path.join(dir, 'kubeconfig'),
      '--data-dir',
      dataDir,
      '--allowed-namespaces',
      'one-data-alldata',
      '--token',
      'killed-serve-token-0123456789',
    ]);
    const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    });
    let url: string | undefined;
    for (let i = 0; i < 1200 && !url && cli.child.exitCode === null; i++) {
      url = /listening on (http:\/\/\S+)/.exec(cli.output().stderr)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    expect({ url, stderr: url ? '' : cli.output().stderr }).toEqual({ url: expect.any(String), stderr: '' });
    const alert = payload({ namespace: 'one-data-alldata', deployment: 'alldata-api' });
    const first = (await (
      await deliver({ url: url!, token: 'killed-serve-token-0123456789' }, alert)
    ).json()) as Executions;
    const lock = lockName(ALLDATA as never);
    for (let i = 0; i < 300; i++) {
      if (
        remediationsOf(await kube.lock.getLease(ALLDATA.namespace, lock)).some((e) => e.status === 'applied')
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(-cli.child.pid!, 'SIGKILL');
    await cli.exited;
    // tsx has exited; the node process it ran may still be tearing down on a loaded machine. The
    // repeat comes once serve is gone, as it would minutes later from Alertmanager.
    const killed = first.executions[0].name;
    for (let i = 0; i < 100; i++) {
      if (new LocalExecutionRegistry(path.join(dataDir, 'executions')).get(killed)?.status !== 'RUNNING')
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const leaseBefore = await kube.lock.getLease(ALLDATA.namespace, lock);

    // Act: a new serve on the same data folder; Alertmanager repeats the firing.
    const serve = await startServe({ allowedNamespaces: ['one-data-alldata'] });
    const again = (await (await deliver(serve, alert)).json()) as Executions;
    await running!.starter.idle();

    // Assess
    const name = first.executions[0].name;
    expect(leaseBefore?.spec?.holderIdentity).toContain(name);
    expect(again.executions[0]).toMatchObject({ name: `${name}-r1`, started: true });
    const successor = running!.starter.list()[0];
    expect(successor.name).toBe(`${name}-r1`);
    const run = await successor.done;
    const state = finalStateOf(run!);
    // The killed execution's restart is not sent again: the successor finds the workload healthy
    // (no action), or mid-rollout and escalates without a write (a human hears the alert still
    // fires), or still failing and within the cooldown the killed execution recorded.
    expect(state.restart).toBeUndefined();
    expect(state.rollback).toBeUndefined();
    if (state.guard) {
      expect(state.guard).toMatchObject({ allowed: false, reason: 'cooldown' });
      expect(state.guard.detail).toContain(name);
    } else {
      expect(['healthy-no-action', 'escalated']).toContain(state.report?.outcome);
    }
    expect(await running!.starter.find(name)).toMatchObject({ status: 'ABORTED' });
  }, 240_000);

  test('S3 and SNS both down mid-incident: serve says so loudly on stderr', async () => {
    // Prepare: the first read of the workload is held 1.5 s, long enough to take the store down.
    const serve = await startServe();
    sandbox.faults.add({
      verb: 'get',
      resource: 'deployments',
      namespace: 'one-data-system',
      latencyMs: 1500,
      times: 1,
    });
    const alert = payload(
      { namespace: 'one-data-system', deployment: 'agent-api' },
      '2026-11-22T04:10:00Z',
      'b1b2c3d4e5f60719',
    );

    // Act
    const response = await deliver(serve, alert);
    await running!.aws.stop();
    await running!.starter.idle();

    // Assess
    expect(response.status).toBe(200);
    expect(printed).toContain('NO NOTIFICATION WAS DELIVERED FOR THIS INCIDENT');
    expect(printed).toContain('Deployment one-data-system agent-api');
    expect(printed).toContain('KubeDeploymentReplicasMismatch');
    await running!.server.close();
    running = undefined;
  });
});

describe('class 6: an alert is filed under what it said, or refused naming the label', () => {
  let shared: RunningServe;
  let serve: { url: string; token: string };

  beforeAll(async () => {
    shared = await serveCommand(
      {
        port: 0,
        kubeconfig: path.join(dir, 'kubeconfig'),
        dataDir: path.join(dir, 'filing'),
        timeScale: 100,
      },
      streams,
    );
    serve = { url: shared.server.url, token: shared.token };
  });

  afterAll(async () => {
    await shared.stop();
  });

  test.each([
    ['namespace', 'Kube-System'],
    ['namespace', 'one data'],
    ['namespace', 'a..b'],
    ['namespace', 'x'.repeat(64)],
    ['namespace', ''],
    ['namespace', 'ns/evil'],
    ['namespace', '-leading'],
    ['namespace', 'trailing-'],
    ['namespace', 'ünicode'],
    ['namespace', 'one.data'],
    ['deployment', 'Alldata-Api'],
    ['deployment', 'alldata_api'],
    ['pod', 'a'.repeat(254)],
    ['statefulset', '..'],
    ['job_name', 'backup job'],
  ])('label %s=%j answers 400 naming it and starts nothing', async (label, value) => {
    // Prepare
    const before = shared.starter.list().length;
    const labels = { namespace: 'one-data-alldata', [label]: value };

    // Act
    const response = await deliver(serve, payload(labels));

    // Assess
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(`alerts.0.labels.${label}`);
    expect(shared.starter.list()).toHaveLength(before);
  });

  test.each([
    ['a 63-character namespace', { namespace: `n${'s'.repeat(62)}` }, `n${'s'.repeat(62)}`],
    ['a namespace with digits and dashes', { namespace: '0-team-9' }, '0-team-9'],
    ['no namespace label at all', {}, 'kube-system'],
  ])('%s is filed exactly there', async (_case, labels, namespace) => {
    // Prepare
    const before = shared.starter.list().length;

    // Act
    const response = await deliver(
      serve,
      payload(
        labels,
        '2026-11-22T05:00:00Z',
        createHash('sha256').update(namespace).digest('hex').slice(0, 16),
      ),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(
      shared.starter
        .list()
        .slice(before)
        .map((e) => e.input.target.namespace),
    ).toEqual([namespace]);
  });
});
