import { MAX_BODY_BYTES } from '../../../lambdas/intake/intake';
import type { ExecutionInput } from '../../../lambdas/shared/contracts';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { createLogger } from '../../../lambdas/shared/observability/logger';
import { startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import type { IncidentRun } from '../../../local/engine/run-incident';
import { LocalExecutionStarter, type LocalRun } from '../../../local/webhook/local-execution-starter';
import { startWebhookServer, type WebhookServer } from '../../../local/webhook/serve';
import { CRASHLOOP_FIRING, nameDerivedOwners } from '../../support/alertmanager';

/*
 * `eks-incident serve`'s HTTP server, over real HTTP (fetch), with the local starter; the runs
 * themselves are held or finished by the test, so what is asserted is the server's behaviour.
 */

const TOKEN = 'local-webhook-token-1b2c3d4e';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:IncidentResponse';

const firing = CRASHLOOP_FIRING;

const owners = nameDerivedOwners;

let aws: LocalAws;
let server: WebhookServer;
let starter: LocalExecutionStarter;
/** Runs started, each held until the test releases it. */
let held: Array<{ name: string; release: () => void }>;

function finished(name: string, status: IncidentRun['status'] = 'SUCCEEDED'): IncidentRun {
  return { executionName: name, executionArn: `${STATE_MACHINE_ARN}:${name}`, status, events: [] };
}

const heldRun: LocalRun = ({ name }) =>
  new Promise((resolve) => held.push({ name, release: () => resolve(finished(name)) }));

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  aws.server.reset();
  held = [];
  starter = new LocalExecutionStarter({ run: heldRun, stateMachineArn: STATE_MACHINE_ARN });
  server = await startWebhookServer({
    port: 0,
    token: TOKEN,
    starter,
    evidence: new S3EvidenceStore(aws.s3, aws.bucket),
    resolve: { rules: [], owners, defaultNamespace: 'kube-system' },
    now: () => new Date(),
    log: createLogger({ write: () => undefined }),
  });
});

afterEach(async () => {
  for (const run of held) run.release();
  await server.close();
});

function post(body: string | Buffer, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('startWebhookServer', () => {
  it('answers as soon as the execution is started, while it still runs', async () => {
    // Act
    const response = await post(JSON.stringify(firing));

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      executions: [{ target: 'Deployment one-data-alldata/alldata-api', started: true }],
    });
    expect(starter.list().map((e) => e.status)).toEqual(['RUNNING']);
    await turns(2);
    expect(held).toHaveLength(1);
  });

  it('starts one execution for the same group delivered twenty times at once', async () => {
    // Act
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(JSON.stringify(firing))));

    // Assess
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{
      executions: Array<{ started: boolean }>;
    }>;
    expect(bodies.flatMap((b) => b.executions).filter((e) => e.started)).toHaveLength(1);
    expect(starter.list()).toHaveLength(1);
  });

  it('refuses a wrong or missing token with 401 before reading the body, and starts nothing', async () => {
    // Act
    const wrong = await post(Buffer.alloc(2 * MAX_BODY_BYTES, ' '), { authorization: 'Bearer wrong' });
    const missing = await post(JSON.stringify(firing), {});

    // Assess
    expect([wrong.status, missing.status]).toEqual([401, 401]);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(starter.list()).toEqual([]);
  });

  it('refuses a body over the limit with 413', async () => {
    // Prepare
    const padded = JSON.stringify({ ...firing, padding: 'x'.repeat(MAX_BODY_BYTES) });

    // Act
    const response = await post(padded);

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'payload too large', limitBytes: MAX_BODY_BYTES });
    expect(starter.list()).toEqual([]);
  });

  it('refuses a malformed payload with 400 naming the field', async () => {
    // Act
    const response = await post(
      JSON.stringify({ ...firing, alerts: [{ ...(firing.alerts as object[])[0], fingerprint: 'x' }] }),
    );

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid payload', field: 'alerts.0.fingerprint' });
  });

  it('serves POST /alertmanager only', async () => {
    // Act
    const elsewhere = await fetch(server.url.replace('/alertmanager', '/'), { method: 'POST', body: '{}' });
    const get = await fetch(server.url);

    // Assess
    expect(elsewhere.status).toBe(404);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

/** Lets the event loop go round: the starter begins runs on a later turn than `start`. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('LocalExecutionStarter', () => {
  const input = { target: { kind: 'Namespace', namespace: 'apps' } } as unknown as ExecutionInput;

  it('runs a few executions at a time; the others wait, RUNNING, as Step Functions reports them', async () => {
    // Prepare
    const local = new LocalExecutionStarter({
      run: heldRun,
      stateMachineArn: STATE_MACHINE_ARN,
      maxConcurrentRuns: 2,
    });

    // Act
    for (const name of ['a', 'b', 'c']) await local.start(name, input);
    await turns(2);
    const runningAtFirst = held.map((h) => h.name);
    held[0].release();
    await turns(2);

    // Assess
    expect(runningAtFirst).toEqual(['a', 'b']);
    expect(held.map((h) => h.name)).toEqual(['a', 'b', 'c']);
    expect(local.list().map((e) => [e.name, e.status])).toEqual([
      ['a', 'SUCCEEDED'],
      ['b', 'RUNNING'],
      ['c', 'RUNNING'],
    ]);
  });

  it('reports a run that threw as FAILED, and is idle once every run has ended', async () => {
    // Prepare
    const errors: string[] = [];
    const local = new LocalExecutionStarter({
      run: async ({ name }) => {
        if (name === 'broken') throw new Error('the definition has no handler for Task state "X"');
        return finished(name);
      },
      stateMachineArn: STATE_MACHINE_ARN,
      onRunError: (name) => errors.push(name),
    });

    // Act
    await local.start('broken', input);
    await local.start('fine', input);
    const again = await local.start('fine', input);
    await local.idle();

    // Assess
    expect(again.started).toBe(false);
    expect(local.list().map((e) => [e.name, e.status])).toEqual([
      ['broken', 'FAILED'],
      ['fine', 'SUCCEEDED'],
    ]);
    expect(errors).toEqual(['broken']);
    expect(await local.find('fine')).toMatchObject({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:IncidentResponse:fine',
      status: 'SUCCEEDED',
      target: { kind: 'Namespace', namespace: 'apps' },
    });
  });
});

describe('startWebhookServer under overload', () => {
  it('answers a storm past its in-flight limit with 503 and Retry-After (never 429), and the retries start every group once', async () => {
    // Prepare: 40 distinct alert groups at once at a server that handles 2 deliveries at a time.
    const crowded = await startWebhookServer({
      port: 0,
      token: TOKEN,
      starter,
      evidence: new S3EvidenceStore(aws.s3, aws.bucket),
      resolve: { rules: [], owners, defaultNamespace: 'kube-system' },
      now: () => new Date(),
      log: createLogger({ write: () => undefined }),
      maxInFlight: 2,
    });
    const groups = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ ...firing, groupKey: `{}:{alertname="KubePodCrashLooping",storm="${i}"}` }),
    );
    const statuses: number[] = [];
    const retryAfter = new Set<string | null>();
    // As Alertmanager's webhook notifier does: retry a 5xx, give up on anything else.
    const deliver = async (body: string): Promise<number> => {
      for (;;) {
        const response = await fetch(crowded.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body,
        });
        statuses.push(response.status);
        if (response.status === 503) retryAfter.add(response.headers.get('retry-after'));
        await response.arrayBuffer();
        if (response.status < 500) return response.status;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    try {
      // Act
      const final = await Promise.all(groups.map(deliver));

      // Assess
      expect(final).toEqual(groups.map(() => 200));
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      expect([...retryAfter]).toEqual(['1']);
      expect(starter.list()).toHaveLength(40);
    } finally {
      await crowded.close();
    }
  });
});
