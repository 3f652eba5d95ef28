import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  IntakeUnavailableError,
  isTransient,
  PayloadTooLargeError,
  UnauthorizedError,
} from '../../../lambdas/intake/errors';
import {
  executionArnOf,
  type ExecutionRecord,
  type ExecutionStarter,
  type StartOutcome,
} from '../../../lambdas/intake/execution-starter';
import { respond } from '../../../lambdas/intake/http';
import {
  canonicalTime,
  executionInput,
  executionName,
  intake,
  MAX_BODY_BYTES,
  type IntakeDeps,
} from '../../../lambdas/intake/intake';
import type { OwnerLookup } from '../../../lambdas/intake/owner-lookup';
import { openIncident } from '../../../lambdas/notify/notify';
import { parseAlertmanagerPayload, type ResolvedAlertRecord } from '../../../lambdas/shared/alertmanager';
import type { ExecutionInput } from '../../../lambdas/shared/contracts';
import type { Manifest } from '../../../lambdas/shared/evidence/evidence-store';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { createLogger } from '../../../lambdas/shared/observability/logger';
import { startLocalAws, type LocalAws } from '../../support/aws';
import { capture, type Capture } from './captures';

/*
 * The intake's logic with its real evidence store (S3 on fauxqs) and a Step Functions stand-in
 * that keeps Step Functions' rule: a name is started once. The payloads are Alertmanager's own.
 */

const TOKEN = 'am-webhook-7f3c9a1e5b2d4f60';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:IncidentResponse';
const NOW = new Date('2026-11-22T04:43:00.000Z');

/** Step Functions as the intake sees it: StartExecution by name, once; DescribeExecution. */
class FakeStepFunctions implements ExecutionStarter {
  readonly executions = new Map<string, { input: ExecutionInput; startTime: Date }>();
  /** Every StartExecution call, duplicates included. */
  readonly calls: string[] = [];
  /** Errors the next calls throw, in order (a throttled or failing Step Functions). */
  readonly failures: unknown[] = [];

  async start(name: string, input: ExecutionInput): Promise<StartOutcome> {
    this.calls.push(name);
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.failures.shift();
    if (failure) throw failure;
    const executionArn = executionArnOf(STATE_MACHINE_ARN, name);
    if (this.executions.has(name)) return { executionArn, started: false };
    this.executions.set(name, { input, startTime: NOW });
    return { executionArn, started: true };
  }

  async find(name: string): Promise<ExecutionRecord | undefined> {
    const execution = this.executions.get(name);
    return (
      execution && {
        executionArn: executionArnOf(STATE_MACHINE_ARN, name),
        startTime: execution.startTime.toISOString(),
        status: 'RUNNING',
        target: execution.input.target,
      }
    );
  }
}

/** The demo pods of the captures, as the cluster would answer: pod → ReplicaSet → Deployment. */
const owners: OwnerLookup = {
  async controllerOf(namespace, kind, name) {
    if (namespace !== 'one-data-alldata') return undefined;
    if (kind === 'Pod' && name.startsWith('alldata-api-7d9c6b5f4d-'))
      return { controller: { kind: 'ReplicaSet', name: 'alldata-api-7d9c6b5f4d' } };
    if (kind === 'ReplicaSet' && name === 'alldata-api-7d9c6b5f4d')
      return { controller: { kind: 'Deployment', name: 'alldata-api' } };
    return undefined;
  },
};

let aws: LocalAws;
let stepFunctions: FakeStepFunctions;
let deps: IntakeDeps;
const logged: string[] = [];

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(() => {
  aws.server.reset();
  stepFunctions = new FakeStepFunctions();
  logged.length = 0;
  deps = {
    token: async () => TOKEN,
    starter: stepFunctions,
    evidence: new S3EvidenceStore(aws.s3, aws.bucket, { now: () => NOW }),
    resolve: { rules: [], owners, defaultNamespace: 'kube-system' },
    now: () => NOW,
    log: createLogger({ write: (line) => logged.push(line) }),
  };
});

/** A request as the HTTP adapters hand it over; `null`: no Authorization header. */
function delivery(body: unknown, authorization: string | null = `Bearer ${TOKEN}`) {
  return {
    authorization: authorization ?? undefined,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

async function keys(prefix = ''): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

/** A payload of alerts with these labels, firing since `startsAt`, in one group. */
function group(alerts: Array<Record<string, string>>, startsAt = '2026-11-22T04:40:00Z'): Capture {
  const base = capture('crashloop-firing');
  return {
    ...base,
    groupKey: '{}:{alertname="ServiceDown"}',
    alerts: alerts.map((labels, i) => ({
      ...base.alerts[0],
      labels: { alertname: 'ServiceDown', severity: 'critical', ...labels },
      startsAt,
      fingerprint: (0xa000000000000000n + BigInt(i)).toString(16),
    })),
  };
}

describe('intake: who may deliver', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong token of the same length', `Bearer ${TOKEN.replace(/.$/, 'x')}`],
    ['a wrong token of another length', 'Bearer short'],
    ['basic credentials', `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}`],
    ['the token without a scheme', TOKEN],
  ])('refuses %s with UnauthorizedError and starts nothing', async (_case, authorization) => {
    // Act
    const act = intake(delivery(capture('crashloop-firing'), authorization), deps);

    // Assess
    await expect(act).rejects.toThrow(UnauthorizedError);
    expect(stepFunctions.calls).toEqual([]);
    expect(await keys()).toEqual([]);
  });

  it('accepts the scheme in any case, as RFC 7235 says', async () => {
    // Act
    const result = await intake(delivery(capture('crashloop-firing'), `bearer ${TOKEN}`), deps);

    // Assess
    expect(result.executions).toHaveLength(1);
  });

  it('checks the token before the size, and the size before parsing', async () => {
    // Prepare
    const huge = Buffer.alloc(MAX_BODY_BYTES + 1, ' ');

    // Act
    const unauthorized = intake({ authorization: undefined, body: huge }, deps);
    const tooLarge = intake({ authorization: `Bearer ${TOKEN}`, body: huge }, deps);

    // Assess
    await expect(unauthorized).rejects.toThrow(UnauthorizedError);
    await expect(tooLarge).rejects.toThrow(PayloadTooLargeError);
    expect(stepFunctions.calls).toEqual([]);
  });
});

describe('intake: what it starts', () => {
  it('refuses a body that is not JSON, or not a version-4 payload, naming the field and starting nothing', async () => {
    // Prepare
    const bad = capture('crashloop-firing');
    bad.alerts[1].startsAt = 'yesterday';

    // Act
    const notJson = intake(delivery('{"receiver": '), deps);
    const badField = intake(delivery(bad), deps);

    // Assess
    await expect(notJson).rejects.toMatchObject({ name: 'InvalidPayloadError', field: '(body)' });
    await expect(badField).rejects.toMatchObject({ name: 'InvalidPayloadError', field: 'alerts.1.startsAt' });
    expect(stepFunctions.calls).toEqual([]);
    expect(await keys()).toEqual([]);
  });

  it('starts one execution for the Deployment behind two crash-looping pods, with the input of design §4', async () => {
    // Prepare
    const payload = capture('crashloop-firing');
    const opener = [...payload.alerts].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint))[0];

    // Act
    const result = await intake(delivery(payload), deps);

    // Assess
    const name = executionName(
      payload.groupKey,
      parseAlertmanagerPayload(payload).alerts.find((a) => a.fingerprint === opener.fingerprint)!,
    );
    expect(name).toMatch(/^am-KubePodCrashLooping-one-data-alldata-[0-9a-f]{20}$/);
    expect(result.executions).toEqual([
      {
        name,
        target: 'Deployment one-data-alldata/alldata-api',
        via: expect.stringMatching(/^pod alldata-api-7d9c6b5f4d-\w{5} → Deployment$/),
        started: true,
        alerts: 2,
      },
    ]);
    expect(stepFunctions.executions.get(name)?.input).toEqual({
      source: 'alertmanager',
      target: { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' },
      alert: {
        name: 'KubePodCrashLooping',
        severity: 'warning',
        summary: 'Pod is crash looping.',
        labels: opener.labels,
        annotations: opener.annotations,
        startsAt: '2026-11-22T04:42:33.123456789Z',
      },
      options: { dryRun: false, waitSeconds: 60, verifyTimeoutSeconds: 300, allowRollback: true },
      correlation: { groupKey: payload.groupKey, fingerprint: opener.fingerprint },
    });
    expect(await keys('incidents/alert-index/')).toHaveLength(2);
  });

  it('starts it once however often Alertmanager repeats the notification', async () => {
    // Act
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await intake(delivery(capture('crashloop-firing')), deps));

    // Assess
    expect(results.map((r) => r.executions.map((e) => e.started))).toEqual([[true], [false], [false]]);
    expect(stepFunctions.executions.size).toBe(1);
  });

  it('starts it once when the same group is delivered many times at once (an HA pair, retries)', async () => {
    // Act
    const results = await Promise.all(
      Array.from({ length: 12 }, () => intake(delivery(capture('crashloop-firing')), deps)),
    );

    // Assess
    expect(stepFunctions.executions.size).toBe(1);
    expect(results.flatMap((r) => r.executions).filter((e) => e.started)).toHaveLength(1);
    expect(new Set(results.flatMap((r) => r.executions.map((e) => e.name))).size).toBe(1);
  });

  it('names the same firing alike whatever offset or precision a peer marshals its start with', () => {
    // Prepare
    const alert = parseAlertmanagerPayload(capture('crashloop-firing')).alerts[0];

    // Act
    const names = [
      '2026-11-22T04:42:33.123456789Z',
      '2026-11-22T05:42:33.123456789+01:00',
      '2026-11-22T04:42:33.1234567890Z',
    ].map((startsAt) => executionName('{}:{a="b"}', { ...alert, startsAt }));

    // Assess
    expect(new Set(names).size).toBe(1);
    expect(canonicalTime('2026-11-22T05:42:33.500+01:00')).toBe('2026-11-22T04:42:33.5Z');
    expect(canonicalTime('2026-11-22T04:42:33Z')).toBe('2026-11-22T04:42:33Z');
  });

  it('starts a new execution when the alert fires again after it was resolved', async () => {
    // Prepare
    const first = group([{ namespace: 'apps', deployment: 'web' }], '2026-11-22T04:00:00Z');
    const again = group([{ namespace: 'apps', deployment: 'web' }], '2026-11-22T06:00:00Z');

    // Act
    await intake(delivery(first), deps);
    const result = await intake(delivery(again), deps);

    // Assess
    expect(result.executions[0].started).toBe(true);
    expect(stepFunctions.executions.size).toBe(2);
  });

  it('starts one flow per workload of a group, and one namespace-level flow for alerts that name none', async () => {
    // Prepare
    const payload = group([
      { namespace: 'apps', deployment: 'web' },
      { namespace: 'apps', deployment: 'web', pod: 'web-2' },
      { namespace: 'apps', deployment: 'api' },
      { namespace: 'data', statefulset: 'mysql' },
      { namespace: 'data', instance: '10.0.3.7:9100' },
      { namespace: 'data', service: 'backup' },
      { node: 'ip-10-0-1-20' },
    ]);

    // Act
    const result = await intake(delivery(payload), { ...deps, options: { dryRun: true } });

    // Assess
    expect(result.executions.map((e) => [e.target, e.alerts])).toEqual([
      ['Deployment apps/web', 2],
      ['Deployment apps/api', 1],
      ['StatefulSet data/mysql', 1],
      ['Namespace data', 2],
      ['Namespace kube-system', 1],
    ]);
    expect(result.executions.every((e) => e.started)).toBe(true);
    for (const { input } of stepFunctions.executions.values()) expect(input.options.dryRun).toBe(true);
  });

  it('answers 503 when Step Functions throttles, and the retry starts what the failed delivery did not', async () => {
    // Prepare: the second of two workloads fails to start.
    const payload = group([
      { namespace: 'apps', deployment: 'web' },
      { namespace: 'apps', deployment: 'api' },
    ]);
    stepFunctions.failures.push(
      undefined,
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $retryable: { throttling: true },
      }),
    );

    // Act
    const failed = await intake(delivery(payload), deps).catch((error: unknown) => error);
    const retried = await intake(delivery(payload), deps);

    // Assess
    expect(isTransient(failed)).toBe(true);
    expect(retried.executions.map((e) => [e.target, e.started])).toEqual([
      ['Deployment apps/web', false],
      ['Deployment apps/api', true],
    ]);
    expect(stepFunctions.executions.size).toBe(2);
    expect(await keys('incidents/alert-index/')).toHaveLength(2);
  });

  it('maps the severity labels seen in the wild and keeps the input within its limits', () => {
    // Prepare
    const payload = parseAlertmanagerPayload(capture('crashloop-firing'));
    const alert = (labels: Record<string, string>, annotations: Record<string, string> = {}) =>
      executionInput(
        payload,
        { ...payload.alerts[0], labels, annotations },
        { kind: 'Namespace', namespace: 'apps' },
      );

    // Act
    const severities = ['page', 'error', 'WARNING', 'none', 'p1', ''].map(
      (severity) => alert({ alertname: 'A', severity }).alert.severity,
    );
    const unnamed = alert({}, { description: 'x'.repeat(10_000) });

    // Assess
    expect(severities).toEqual(['critical', 'high', 'warning', 'info', 'warning', 'warning']);
    expect(unnamed.alert.name).toBe('UnnamedAlert');
    expect(unnamed.alert.summary).toHaveLength(4096);
    expect(unnamed.alert.annotations.description).toHaveLength(4096);
  });
});

describe('intake: resolved notifications', () => {
  /** The evidence prefix Open Incident gives the execution (the real notify step, told nothing). */
  async function prefixOf(name: string): Promise<string> {
    const execution = (await stepFunctions.find(name))!;
    const incident = await openIncident(
      {
        state: stepFunctions.executions.get(name)!.input,
        execution: { id: execution.executionArn, name, startTime: execution.startTime },
      },
      async () => ({
        notifier: { notify: async () => ['sns'] },
        bucket: aws.bucket,
        region: 'eu-west-1',
        now: () => NOW,
      }),
    );
    return incident.evidencePrefix;
  }

  it('records a resolved alert in its running incident, in the manifest, and starts nothing new', async () => {
    // Prepare
    const [firing] = (await intake(delivery(capture('crashloop-firing')), deps)).executions;
    const resolved = capture('crashloop-one-resolved').alerts.find((a) => a.status === 'resolved')!;

    // Act
    const result = await intake(delivery(capture('crashloop-one-resolved')), deps);

    // Assess
    const prefix = await prefixOf(firing.name);
    const key = `${prefix}alerts/${resolved.fingerprint}-20261122T044233Z-resolved.json`;
    expect(result.executions).toEqual([
      expect.objectContaining({ name: firing.name, started: false, alerts: 1 }),
    ]);
    expect(result.resolved).toEqual([
      {
        alertname: 'KubePodCrashLooping',
        fingerprint: resolved.fingerprint,
        recordedIn: firing.name,
        evidence: key,
      },
    ]);
    expect(stepFunctions.executions.size).toBe(1);
    const record = await deps.evidence.getJson<ResolvedAlertRecord>(key);
    expect(record).toMatchObject({
      kind: 'ResolvedAlert',
      alertname: 'KubePodCrashLooping',
      alertGroup: capture('crashloop-one-resolved').groupKey,
      fingerprint: resolved.fingerprint,
      endsAt: '2026-11-22T04:42:43Z',
    });
    const manifest = await deps.evidence.getJson<Manifest>(`${prefix}manifest.json`);
    expect(manifest?.objects.map((o) => o.key)).toContain(key);
  });

  it('still finds the incident once the alert that opened it is gone and another of its pods fires', async () => {
    // Prepare: the opener resolves (and drops out of the group); its sibling keeps firing.
    const [firing] = (await intake(delivery(capture('crashloop-firing')), deps)).executions;
    const opener = stepFunctions.executions.get(firing.name)!.input.correlation!.fingerprint;
    const sibling = capture('crashloop-firing');
    sibling.alerts = sibling.alerts.filter((a) => a.fingerprint !== opener);

    // Act
    const result = await intake(delivery(sibling), deps);

    // Assess
    expect(result.executions).toEqual([expect.objectContaining({ name: firing.name, started: false })]);
    expect(stepFunctions.calls).toEqual([firing.name]);
  });

  it('records every alert of a group resolved as a whole', async () => {
    // Prepare
    const [firing] = (await intake(delivery(capture('crashloop-firing')), deps)).executions;

    // Act
    const result = await intake(delivery(capture('crashloop-resolved')), deps);

    // Assess
    expect(result.executions).toEqual([]);
    expect(result.resolved.map((r) => r.recordedIn)).toEqual([firing.name, firing.name]);
    expect(await keys(`${await prefixOf(firing.name)}alerts/`)).toHaveLength(2);
  });

  it('records nothing and starts nothing for a resolved alert it never saw fire', async () => {
    // Act
    const result = await intake(delivery(capture('crashloop-resolved')), deps);

    // Assess
    expect(result.executions).toEqual([]);
    expect(result.resolved.map((r) => r.recordedIn)).toEqual([undefined, undefined]);
    expect(stepFunctions.calls).toEqual([]);
    expect(await keys()).toEqual([]);
  });
});

describe('respond: the HTTP answer', () => {
  it.each([
    ['a delivery it handled', 200, delivery(capture('crashloop-firing'))],
    ['a wrong token', 401, delivery(capture('crashloop-firing'), 'Bearer nope')],
    ['an oversized body', 413, { authorization: `Bearer ${TOKEN}`, body: Buffer.alloc(MAX_BODY_BYTES + 1) }],
    ['a malformed payload', 400, delivery({ ...capture('crashloop-firing'), version: '3' })],
  ])('answers %s with %i', async (_case, status, request) => {
    // Act
    const answer = await respond(request, deps);

    // Assess
    expect(answer.statusCode).toBe(status);
    expect(answer.headers['content-type']).toBe('application/json');
    if (status === 401) expect(answer.headers['www-authenticate']).toMatch(/^Bearer /);
    if (status === 400) expect(JSON.parse(answer.body)).toMatchObject({ field: 'version' });
  });

  it('answers 503 when a retry can help and 500 when it cannot, never leaking the error', async () => {
    // Prepare
    const transient = {
      ...deps,
      token: async () => Promise.reject(new IntakeUnavailableError('Secrets Manager timed out')),
    };
    const broken = {
      ...deps,
      token: async () => Promise.reject(new TypeError('cannot read properties of undefined')),
    };

    // Act
    const unavailable = await respond(delivery(capture('crashloop-firing')), transient);
    const internal = await respond(delivery(capture('crashloop-firing')), broken);

    // Assess
    expect(unavailable.statusCode).toBe(503);
    expect(internal.statusCode).toBe(500);
    expect(internal.body).not.toContain('undefined');
  });

  it('never writes the token to its log', async () => {
    // Act
    await respond(delivery(capture('crashloop-firing'), `Bearer ${TOKEN}x`), deps);
    await respond(delivery(capture('crashloop-firing')), deps);

    // Assess
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(TOKEN);
  });
});
