import { startAwsJsonStub, type AwsJsonStub } from '../../../local/lambda-runtime/aws-json-stub';
import { ApprovalStore, type ApprovalRecord } from '../../../lambdas/shared/approval/approval-store';
import { approvalLink, slackSignature } from '../../../lambdas/shared/approval/signatures';
import { coldStart } from '../handler-fixtures';
import { REGION, startLocalAws, type LocalAws } from '../../support/aws';

/*
 * The deployed approval function as API Gateway's HTTP API invokes it (payload format 2.0):
 * configuration from the environment, the real AWS SDK clients, the approval requests on fauxqs,
 * and Step Functions and Secrets Manager answered by a small server speaking their JSON protocol.
 * fauxqs has neither, and the local engine has no SendTaskSuccess (it reads the answer from the
 * approval store instead), so the stand-in records the SendTaskSuccess calls the handler makes —
 * what completes the task on AWS — and refuses tokens it is told have timed out, as Step
 * Functions does.
 */

type HandlerModule = typeof import('../../../lambdas/approval/handler');

const ACCOUNT = '123456789012';
const LINK_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ApprovalLinkSecret-AbCdEf`;
const SLACK_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:incident/slack-signing-GhIjKl`;
const LINK_SECRET = 'link-secret-0123456789abcdef0123456789abcdef';
const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const INCIDENT = '20261122-030000-payments-ledger-0a1b2c';
const BASE_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

class FakeAws {
  readonly sent: Array<{ taskToken: string; output: Record<string, unknown> }> = [];
  /** Tokens whose task has timed out or closed: SendTaskSuccess answers TaskTimedOut. */
  readonly closed = new Set<string>();
  private stub!: AwsJsonStub;

  get url(): string {
    return this.stub.url;
  }

  async start(): Promise<void> {
    this.stub = await startAwsJsonStub({
      GetSecretValue: (body) => {
        const value = { [LINK_SECRET_ARN]: LINK_SECRET, [SLACK_SECRET_ARN]: SLACK_SECRET }[body.SecretId];
        return value
          ? [200, { ARN: body.SecretId, SecretString: value }]
          : [400, { __type: 'ResourceNotFoundException', message: 'no such secret' }];
      },
      SendTaskSuccess: (body) => {
        if (this.closed.has(body.taskToken)) {
          return [400, { __type: 'TaskTimedOut', message: 'Task Timed Out' }];
        }
        this.sent.push({
          taskToken: body.taskToken,
          output: JSON.parse(body.output) as Record<string, unknown>,
        });
        return [200, {}];
      },
    });
  }

  stop(): Promise<void> {
    return this.stub.close();
  }
}

let aws: LocalAws;
let fake: FakeAws;
let store: ApprovalStore;
const saved = { ...process.env };

beforeAll(async () => {
  aws = await startLocalAws();
  store = new ApprovalStore(aws.s3, aws.bucket);
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
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
    EVIDENCE_BUCKET: aws.bucket,
    APPROVAL_LINK_SECRET_ARN: LINK_SECRET_ARN,
    SLACK_SIGNING_SECRET_ARN: SLACK_SECRET_ARN,
  };
});

afterEach(async () => {
  process.env = { ...saved };
  await fake.stop();
});

/** A waiting request, as Request Approval stores it; `expiresInSeconds` may be negative. */
async function waitingRequest(
  action: 'restart' | 'rollback',
  expiresInSeconds = 3600,
): Promise<ApprovalRecord> {
  const now = Date.now();
  const record: ApprovalRecord = {
    incidentId: INCIDENT,
    action,
    target: 'Deployment payments/ledger',
    taskToken: `token-${action}-${now}`,
    nonce: `nonce-${action}-${now}`,
    requestedAt: new Date(now - 60_000).toISOString(),
    expiresAt: new Date(now + expiresInSeconds * 1000).toISOString(),
  };
  await store.put(record);
  return record;
}

/** An HTTP API request as the integration passes it. */
function httpApiEvent(method: string, url: string, body = '', headers: Record<string, string> = {}) {
  const parsed = new URL(url);
  return {
    version: '2.0',
    routeKey: `${method} ${parsed.pathname}`,
    rawPath: parsed.pathname,
    rawQueryString: parsed.search.slice(1),
    headers: { host: parsed.host, ...headers },
    requestContext: { http: { method, path: parsed.pathname } },
    body,
    isBase64Encoded: false,
  };
}

/** Slack's interactivity request for a button of `record`, signed with `secret` at `timestamp`. */
function slackClick(
  record: ApprovalRecord,
  actionId: 'approve' | 'reject',
  secret: string,
  timestamp: number,
) {
  const payload = {
    type: 'block_actions',
    user: { id: 'U024BE7LH', username: 'alice' },
    actions: [{ action_id: actionId, value: `${record.incidentId}/${record.action}/${record.nonce}` }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return httpApiEvent('POST', `${BASE_URL}/slack/interactions`, body, {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, String(timestamp), body),
  });
}

function link(record: ApprovalRecord, decision: 'approve' | 'reject', expires?: number): string {
  return approvalLink(
    BASE_URL,
    {
      incidentId: record.incidentId,
      action: record.action,
      nonce: record.nonce,
      decision,
      expires: expires ?? Math.floor(Date.parse(record.expiresAt) / 1000),
    },
    LINK_SECRET,
  );
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('approval handler: Slack interactivity', () => {
  it('answers the waiting task with SendTaskSuccess for a signed Approve click, and records who', async () => {
    // Prepare
    const { handler } = coldStart<HandlerModule>('../../lambdas/approval/handler');
    const record = await waitingRequest('rollback');

    // Act
    const answer = await handler(slackClick(record, 'approve', SLACK_SECRET, nowSeconds()));

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      text: 'approved by alice (Slack U024BE7LH): rollback of Deployment payments/ledger',
    });
    expect(fake.sent).toEqual([
      {
        taskToken: record.taskToken,
        output: expect.objectContaining({
          action: 'rollback',
          decision: 'approved',
          by: 'alice (Slack U024BE7LH)',
          via: 'slack',
          requestedAt: record.requestedAt,
          expiresAt: record.expiresAt,
        }),
      },
    ]);
    expect((await store.get(INCIDENT, 'rollback'))?.answer).toMatchObject({
      decision: 'approved',
      via: 'slack',
    });
  });

  it('refuses a forged or stale signature with 401 and answers no task', async () => {
    // Prepare
    const { handler } = coldStart<HandlerModule>('../../lambdas/approval/handler');
    const record = await waitingRequest('restart');

    // Act
    const forged = await handler(slackClick(record, 'approve', 'not-the-signing-secret', nowSeconds()));
    const stale = await handler(slackClick(record, 'approve', SLACK_SECRET, nowSeconds() - 301));

    // Assess
    expect([forged.statusCode, stale.statusCode]).toEqual([401, 401]);
    expect(fake.sent).toEqual([]);
    expect((await store.get(INCIDENT, 'restart'))?.answer).toBeUndefined();
  });
});

describe('approval handler: signed links', () => {
  it('shows a confirm page on GET without answering, answers the POST, and refuses the replay with 409', async () => {
    // Prepare
    const { handler } = coldStart<HandlerModule>('../../lambdas/approval/handler');
    const record = await waitingRequest('restart');
    const url = link(record, 'reject');

    // Act
    const shown = await handler(httpApiEvent('GET', url));
    const sentAfterGet = fake.sent.length;
    const answered = await handler(httpApiEvent('POST', url));
    const replayed = await handler(httpApiEvent('POST', url));

    // Assess
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('<form method="post">');
    expect(sentAfterGet).toBe(0);
    expect(answered.statusCode).toBe(200);
    expect(replayed.statusCode).toBe(409);
    expect(fake.sent).toEqual([
      {
        taskToken: record.taskToken,
        output: expect.objectContaining({ decision: 'rejected', by: 'approval link', via: 'link' }),
      },
    ]);
  });

  it('refuses an expired link with 410, and a task Step Functions has closed with 410, leaving it unanswered', async () => {
    // Prepare
    const { handler } = coldStart<HandlerModule>('../../lambdas/approval/handler');
    const expired = await waitingRequest('restart', -1);
    const closed = await waitingRequest('rollback');
    fake.closed.add(closed.taskToken);

    // Act
    const late = await handler(httpApiEvent('POST', link(expired, 'approve')));
    const tooLate = await handler(httpApiEvent('POST', link(closed, 'approve')));

    // Assess
    expect([late.statusCode, tooLate.statusCode]).toEqual([410, 410]);
    expect(fake.sent).toEqual([]);
    expect((await store.get(INCIDENT, 'rollback'))?.answer).toBeUndefined();
  });

  it('refuses a link whose signature does not match with 401, and a path that is not a route with 404', async () => {
    // Prepare
    const { handler } = coldStart<HandlerModule>('../../lambdas/approval/handler');
    const record = await waitingRequest('restart');
    const forged = link(record, 'reject').replace('decision=reject', 'decision=approve');

    // Act
    const refused = await handler(httpApiEvent('POST', forged));
    const unknown = await handler(httpApiEvent('POST', `${BASE_URL}/approvals/${INCIDENT}`));

    // Assess
    expect(refused.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(404);
    expect(fake.sent).toEqual([]);
  });
});
