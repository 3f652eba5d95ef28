import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../local/aws/local-aws';
import type { IncidentSummary } from '../../local/cli/incident-summary';
import { runCli, startCli, stopAllClis, waitForStdout, type CliResult } from '../support/cli';

/*
 * `eks-incident run` against a cluster it knows only by a kubeconfig file: the one
 * `eks-incident sandbox` writes, served by another process, as for any cluster. The three runs
 * act on different workloads, so they run at once (like executions started together).
 */

const SANDBOX_TIME_SCALE = '20';

let dir: string;
let kubeconfig: string;
let apps: AppsV1Api;
let before: { agentApiGeneration: number; bishengTemplate: string };
let restart: Promise<CliResult>;
let dryRun: Promise<CliResult>;
let notAllowed: Promise<CliResult>;
let remote: Promise<CliResult>;
let aws: LocalAws;

function input(namespace: string, name: string): string {
  return JSON.stringify({
    source: 'manual',
    target: { namespace, kind: 'Deployment', name },
    alert: {
      name: 'ServiceDown',
      severity: 'critical',
      summary: `${name} down`,
      startsAt: '2026-11-22T03:00:00Z',
    },
    // Real waits: short ones, with the sandbox running 20 times faster than the clock.
    options: { waitSeconds: 5, verifyTimeoutSeconds: 30 },
  });
}

/** A loopback port that was free a moment ago and has no listener now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function deployment(namespace: string, name: string) {
  return apps.readNamespacedDeployment({ namespace, name });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-incident-run-'));
  kubeconfig = join(dir, 'sandbox.kubeconfig');
  const sandbox = startCli([
    'sandbox',
    '--port',
    '0',
    '--kubeconfig-out',
    kubeconfig,
    '--scenario',
    'demo',
    '--time-scale',
    SANDBOX_TIME_SCALE,
  ]);
  await waitForStdout(sandbox, 'Press Ctrl+C to stop.');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  before = {
    agentApiGeneration: (await deployment('one-data-system', 'agent-api')).metadata!.generation!,
    bishengTemplate: JSON.stringify((await deployment('one-data-bisheng', 'bisheng-api')).spec!.template),
  };
  await writeFile(join(dir, 'alldata.json'), input('one-data-alldata', 'alldata-api'));
  await writeFile(join(dir, 'bisheng.json'), input('one-data-bisheng', 'bisheng-api'));
  const data = join(dir, 'data');
  restart = runCli([
    'run',
    '--input',
    join(dir, 'alldata.json'),
    '--kubeconfig',
    kubeconfig,
    '--allowed-namespaces',
    'one-data-alldata',
    '--data-dir',
    data,
    '--json',
  ]);
  dryRun = runCli(['run', '--input', '-', '--kubeconfig', kubeconfig, '--dry-run', '--data-dir', data], {
    stdin: input('one-data-system', 'agent-api'),
  });
  // The user's own bucket and topic: S3 and SNS at an endpoint, reached with credentials.
  aws = await startLocalAws({ bucket: 'team-evidence', topic: 'team-incidents' });
  remote = runCli(
    [
      'run',
      '--input',
      '-',
      '--kubeconfig',
      kubeconfig,
      '--dry-run',
      '--bucket',
      's3://team-evidence',
      '--topic-arn',
      aws.topicArn,
      '--data-dir',
      join(dir, 'remote-data'),
    ],
    {
      stdin: input('one-data-alldata', 'kettle-worker'),
      env: {
        AWS_ENDPOINT_URL_S3: aws.endpoint,
        AWS_ENDPOINT_URL_SNS: aws.endpoint,
        AWS_REGION: aws.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    },
  );
  notAllowed = runCli([
    'run',
    '--input',
    join(dir, 'bisheng.json'),
    '--kubeconfig',
    kubeconfig,
    '--allowed-namespaces',
    'one-data-alldata',
    '--data-dir',
    data,
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([restart, dryRun, notAllowed, remote]);
  await stopAllClis();
  await aws?.stop();
  await rm(dir, { recursive: true, force: true });
});

// Four CLI processes run at once, each synthesizing the stack with CDK before its flow: on a
// loaded 2-core machine that takes well over the suite's default minute. A wait, not a speed claim.
jest.setTimeout(240_000);

describe('eks-incident run against a cluster of a kubeconfig (the sandbox command)', () => {
  it('recovers the crash-looping workload by restart, end to end, and exits 0', async () => {
    // Act
    const result = await restart;

    // Assess
    expect({
      code: result.code,
      stderr: result.stderr.split('\n').filter((l) => l.startsWith('eks-incident')),
    }).toEqual({ code: 0, stderr: [] });
    const { incident } = JSON.parse(result.stdout) as { incident: IncidentSummary };
    expect(incident.outcome).toBe('recovered-by-restart');
    expect(incident.actions).toEqual(['rollout restart']);
    expect(existsSync(incident.evidence!.files!.report!)).toBe(true);
    const alldata = await deployment('one-data-alldata', 'alldata-api');
    expect(alldata.spec!.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    expect(alldata.status!.availableReplicas).toBe(alldata.spec!.replicas);
    // Progress goes to stderr with --json: the same live view, one line per state.
    expect(result.stderr).toMatch(/ alldata-api +Restart\n/);
    expect(result.stderr).toMatch(/ alldata-api +done: recovered by restart\n/);
  });

  it('with --dry-run, reads stdin, allows only the target namespace, changes nothing and reports a dry run', async () => {
    // Act
    const result = await dryRun;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Dry run: allowing namespace one-data-system only (nothing is written to the cluster anyway).',
    );
    expect(result.stdout).toMatch(
      /Deployment one-data-system\/agent-api +dry run \(nothing changed\) +paged, dump/,
    );
    expect((await deployment('one-data-system', 'agent-api')).metadata!.generation).toBe(
      before.agentApiGeneration,
    );
  });

  it('escalates a target outside --allowed-namespaces without touching it, exiting 2', async () => {
    // Act
    const result = await notAllowed;

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      'Note: one-data-bisheng is not in --allowed-namespaces; the flow will diagnose and escalate without acting.',
    );
    expect(result.stdout).toMatch(/Deployment one-data-bisheng\/bisheng-api +escalated +paged, dump/);
    expect(result.stdout).toMatch(/\[CRITICAL\] escalated: Deployment one-data-bisheng\/bisheng-api/);
    expect(result.stderr).toBe('eks-incident: bisheng-api: escalated, a human is needed (see the report)\n');
    expect(JSON.stringify((await deployment('one-data-bisheng', 'bisheng-api')).spec!.template)).toBe(
      before.bishengTemplate,
    );
  });

  it('with --bucket and --topic-arn, writes the evidence to that bucket and notifies that topic', async () => {
    // Act
    const result = await remote;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`  evidence       s3://team-evidence in ${aws.region}\n`);
    expect(result.stdout).toContain(`  notifications  ${aws.topicArn}\n`);
    const id = /^(\S+-one-data-alldata-kettle-worker-[0-9a-f]{6}) /m.exec(result.stdout)![1];
    const listed = await aws.s3.send(
      new ListObjectsV2Command({ Bucket: 'team-evidence', Prefix: 'incidents/' }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    expect(keys).toContainEqual(expect.stringMatching(new RegExp(`/${id}/report\\.md$`)));
    expect(keys).toContainEqual(expect.stringMatching(new RegExp(`/${id}/diagnostics\\.json$`)));
    const stages = (await receiveNotifications(aws)).map((n) => n.MessageAttributes?.stage?.Value);
    // kettle-worker runs healthy: the diagnosis says so and the incident closes with no action.
    expect(stages).toEqual(['opened', 'no-action']);
    expect(existsSync(join(dir, 'remote-data'))).toBe(false);
  });

  it('fails in one line, before writing anything, when the cluster is unreachable', async () => {
    // Prepare: the same kubeconfig, pointing at a port nothing listens on.
    const port = await closedPort();
    const dead = join(dir, 'dead.kubeconfig');
    const text = await readFile(kubeconfig, 'utf8');
    await writeFile(dead, text.replace(/http:\/\/127\.0\.0\.1:\d+/, `http://127.0.0.1:${port}`));
    const data = join(dir, 'unreachable-data');

    // Act
    const result = await runCli([
      'run',
      '--input',
      join(dir, 'alldata.json'),
      '--kubeconfig',
      dead,
      '--allowed-namespaces',
      'one-data-alldata',
      '--data-dir',
      data,
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `eks-incident: cannot reach the Kubernetes API at http://127.0.0.1:${port} (context eks-incident-sandbox): ` +
        'get deployments.apps one-data-alldata/alldata-api: connection failed (ECONNREFUSED); ' +
        'is the cluster running? (choose another with --kubeconfig/--context)\n',
    );
    expect(result.stdout).toBe('');
    expect(existsSync(data)).toBe(false);
  });
});
