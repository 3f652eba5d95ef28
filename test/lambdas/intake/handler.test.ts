import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  startAwsJsonStub,
  type AwsJsonCall,
  type AwsJsonStub,
} from '../../../local/lambda-runtime/aws-json-stub';
import { secretsManagerToken } from '../../../lambdas/intake/webhook-token';
import type { ResolvedAlertRecord } from '../../../lambdas/shared/alertmanager';
import { ConfigurationError } from '../../../lambdas/shared/errors';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { REGION, startLocalAws, type LocalAws } from '../../support/aws';
import { capture } from './captures';

/*
 * The Lambda handler as API Gateway invokes it: configuration from the environment, the real
 * AWS SDK clients, S3 on fauxqs, and Step Functions and Secrets Manager answered by a small
 * server speaking their JSON protocols (fauxqs has neither).
 */

type HandlerModule = typeof import('../../../lambdas/intake/handler');

const TOKEN = 'am-webhook-0f1e2d3c4b5a6978';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:incident/alertmanager-token-AbCdEf`;
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:123456789012:stateMachine:IncidentResponse`;

/** Step Functions and Secrets Manager as the SDK sees them, answered as this test needs. */
class FakeAws {
  readonly executions = new Map<string, { input: string; startDate: number }>();
  /** Errors (`__type`) the next StartExecution calls answer with. */
  readonly startFailures: string[] = [];
  private stub!: AwsJsonStub;

  get calls(): AwsJsonCall[] {
    return this.stub.calls;
  }

  get url(): string {
    return this.stub.url;
  }

  async start(): Promise<void> {
    const arnOf = (name: string) => STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:') + `:${name}`;
    this.stub = await startAwsJsonStub({
      GetSecretValue: (body) =>
        body.SecretId === SECRET_ARN
          ? [200, { ARN: SECRET_ARN, Name: 'incident/alertmanager-token', SecretString: `${TOKEN}\n` }]
          : [400, { __type: 'ResourceNotFoundException', message: 'no such secret' }],
      StartExecution: (body) => {
        const failure = this.startFailures.shift();
        if (failure) return [400, { __type: failure, message: failure }];
        const name = String(body.name);
        if (this.executions.has(name)) return [400, { __type: 'ExecutionAlreadyExists', message: 'exists' }];
        const startDate = Date.now() / 1000;
        this.executions.set(name, { input: String(body.input), startDate });
        return [200, { executionArn: arnOf(name), startDate }];
      },
      DescribeExecution: (body) => {
        const name = String(body.executionArn).split(':').pop()!;
        const execution = this.executions.get(name);
        if (!execution) return [400, { __type: 'ExecutionDoesNotExist', message: 'no such execution' }];
        return [
          200,
          {
            executionArn: body.executionArn,
            stateMachineArn: STATE_MACHINE_ARN,
            name,
            status: 'RUNNING',
            startDate: execution.startDate,
            input: execution.input,
          },
        ];
      },
    });
  }

  stop(): Promise<void> {
    return this.stub.close();
  }
}

let aws: LocalAws;
let fake: FakeAws;
const saved = { ...process.env };

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  aws.server.reset();
  fake = new FakeAws();
  await fake.start();
  process.env = {
    ...saved,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_MAX_ATTEMPTS: '1',
    AWS_ENDPOINT_URL_S3: aws.server.address,
    AWS_ENDPOINT_URL_SFN: fake.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.url,
    CLUSTER_NAME: 'demo',
    KUBE_REQUEST_TIMEOUT_MS: '2000',
    EVIDENCE_BUCKET: aws.bucket,
    STATE_MACHINE_ARN,
    WEBHOOK_TOKEN_SECRET_ARN: SECRET_ARN,
    ALERT_TARGETS: JSON.stringify([
      { match: { job: 'kube-state-metrics' }, target: { kind: 'Deployment', name: 'alldata-api' } },
    ]),
    DEFAULT_NAMESPACE: 'kube-system',
    DRY_RUN: 'false',
  };
});

afterEach(async () => {
  process.env = { ...saved };
  await fake.stop();
});

/** The handler module as a fresh Lambda container loads it. */
function coldStart(): HandlerModule {
  let module: HandlerModule | undefined;
  jest.isolateModules(() => {
    module = jest.requireActual<HandlerModule>('../../../lambdas/intake/handler');
  });
  return module!;
}

/** An API Gateway HTTP API (payload format 2.0) request, as the integration passes it; `null`: no token. */
function httpApiEvent(body: unknown, authorization: string | null = `Bearer ${TOKEN}`, base64 = false) {
  const text = JSON.stringify(body);
  return {
    version: '2.0',
    routeKey: 'POST /alertmanager',
    rawPath: '/alertmanager',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Alertmanager/0.25.0',
      ...(authorization ? { authorization } : {}),
    },
    requestContext: { http: { method: 'POST', path: '/alertmanager' } },
    body: base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: base64,
  };
}

describe('intake handler', () => {
  it('starts the execution through Step Functions and answers 200 with what it did', async () => {
    // Prepare
    const { handler } = coldStart();

    // Act
    const answer = await handler(httpApiEvent(capture('crashloop-firing')));

    // Assess
    expect(answer.statusCode).toBe(200);
    const body = JSON.parse(answer.body) as {
      executions: Array<{ name: string; started: boolean; via: string }>;
    };
    expect(body.executions).toEqual([
      expect.objectContaining({ started: true, via: 'rule 1 (job="kube-state-metrics")' }),
    ]);
    const start = fake.calls.find((c) => c.action === 'StartExecution')!;
    expect(start.body).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, name: body.executions[0].name });
    expect(JSON.parse(String(start.body.input))).toMatchObject({
      source: 'alertmanager',
      target: { kind: 'Deployment', namespace: 'one-data-alldata', name: 'alldata-api' },
    });
  });

  it('reads the token once per container and refuses a wrong one with 401, starting nothing', async () => {
    // Prepare
    const { handler } = coldStart();

    // Act
    const refused = await handler(httpApiEvent(capture('crashloop-firing'), 'Bearer wrong-token'));
    const missing = await handler(httpApiEvent(capture('crashloop-firing'), null));
    const accepted = await handler(httpApiEvent(capture('crashloop-firing')));

    // Assess
    expect([refused.statusCode, missing.statusCode, accepted.statusCode]).toEqual([401, 401, 200]);
    expect(fake.calls.filter((c) => c.action === 'GetSecretValue')).toHaveLength(1);
    expect(fake.calls.filter((c) => c.action === 'StartExecution')).toHaveLength(1);
  });

  it('takes a base64-encoded body as API Gateway passes binary payloads', async () => {
    // Prepare
    const { handler } = coldStart();

    // Act
    const answer = await handler(httpApiEvent(capture('crashloop-firing'), `Bearer ${TOKEN}`, true));

    // Assess
    expect(answer.statusCode).toBe(200);
  });

  it('treats ExecutionAlreadyExists as a duplicate delivery, not an error', async () => {
    // Prepare: an execution of that name exists, but this container has no index entry for it.
    const { handler } = coldStart();
    const first = JSON.parse((await handler(httpApiEvent(capture('crashloop-firing')))).body) as {
      executions: Array<{ name: string }>;
    };
    aws.server.reset();

    // Act
    const answer = await handler(httpApiEvent(capture('crashloop-firing')));

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body).executions).toEqual([
      expect.objectContaining({ name: first.executions[0].name, started: false }),
    ]);
    expect(fake.executions.size).toBe(1);
  });

  it('answers 503 when Step Functions throttles, so Alertmanager retries', async () => {
    // Prepare
    const { handler } = coldStart();
    fake.startFailures.push('ThrottlingException');

    // Act
    const throttled = await handler(httpApiEvent(capture('crashloop-firing')));
    const retried = await handler(httpApiEvent(capture('crashloop-firing')));

    // Assess
    expect(throttled.statusCode).toBe(503);
    expect(retried.statusCode).toBe(200);
    expect(fake.executions.size).toBe(1);
  });

  it('records a resolved alert under the execution Step Functions describes', async () => {
    // Prepare
    const { handler } = coldStart();
    await handler(httpApiEvent(capture('crashloop-firing')));

    // Act
    const answer = await handler(httpApiEvent(capture('crashloop-one-resolved')));

    // Assess
    const body = JSON.parse(answer.body) as { resolved: Array<{ evidence?: string }> };
    expect(answer.statusCode).toBe(200);
    expect(fake.calls.map((c) => c.action)).toContain('DescribeExecution');
    expect(body.resolved[0].evidence).toMatch(
      /^incidents\/\d{4}\/\d\d\/\d\d\/[^/]+-one-data-alldata-alldata-api-[0-9a-f]{6}\/alerts\//,
    );
    const record = await new S3EvidenceStore(aws.s3, aws.bucket).getJson<ResolvedAlertRecord>(
      body.resolved[0].evidence!,
    );
    expect(record?.kind).toBe('ResolvedAlert');
  });

  it('answers 500 and starts nothing when its environment is wrong', async () => {
    // Prepare
    process.env.ALERT_TARGETS = '[{"match": {}}]';
    const { handler } = coldStart();

    // Act
    const answer = await handler(httpApiEvent(capture('crashloop-firing')));

    // Assess
    expect(answer.statusCode).toBe(500);
    expect(fake.calls).toEqual([]);
  });
});

describe('secretsManagerToken', () => {
  function client(values: Array<string | Error>): { client: SecretsManagerClient; reads: () => number } {
    let reads = 0;
    const send = async (command: unknown) => {
      expect(command).toBeInstanceOf(GetSecretValueCommand);
      const value = values[Math.min(reads++, values.length - 1)];
      if (value instanceof Error) throw value;
      return { SecretString: value };
    };
    return { client: { send } as unknown as SecretsManagerClient, reads: () => reads };
  }

  it('rereads the secret after its TTL, so a rotated token takes effect', async () => {
    // Prepare
    let now = 0;
    const secret = client(['first-token', 'rotated-token']);
    const token = secretsManagerToken(secret.client, SECRET_ARN, { ttlMs: 300_000, now: () => now });

    // Act
    const before = [await token(), await token()];
    now = 300_000;
    const after = await token();

    // Assess
    expect(before).toEqual(['first-token', 'first-token']);
    expect(after).toBe('rotated-token');
    expect(secret.reads()).toBe(2);
  });

  it('keeps neither a failed read nor an empty secret', async () => {
    // Prepare
    const secret = client([new Error('socket hang up'), '  ', 'the-token']);
    const token = secretsManagerToken(secret.client, SECRET_ARN, { ttlMs: 300_000 });

    // Act
    const failed = token();
    await expect(failed).rejects.toThrow('socket hang up');
    const empty = token();
    await expect(empty).rejects.toThrow(ConfigurationError);
    const value = await token();

    // Assess
    expect(value).toBe('the-token');
  });
});
