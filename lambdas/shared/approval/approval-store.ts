import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PolicyAction } from './policy';
import { ApprovalExpiredError, type ApprovalDecisionKind } from './signatures';

/**
 * Approval requests and their answers, as JSON objects under `approvals/<incident-id>/<action>.json`
 * in the evidence bucket: the request the flow posted (with its Step Functions task token, its
 * nonce and its expiry), and once answered, who answered, how and when. The routes, the CLI and
 * the local engine all read this one store.
 */

export const APPROVALS_PREFIX = 'approvals/';

export interface ApprovalAnswer {
  decision: 'approved' | 'rejected';
  /** Who: the Slack user, `approval link`, or the CLI's user. */
  by: string;
  via: 'slack' | 'link' | 'cli';
  at: string;
}

export interface ApprovalRecord {
  incidentId: string;
  action: PolicyAction;
  /** `Deployment team/web` */
  target: string;
  /** Step Functions' task token: what SendTaskSuccess answers. */
  taskToken: string;
  /** Random per request: links and buttons of an earlier request for the same action do not answer this one. */
  nonce: string;
  requestedAt: string;
  expiresAt: string;
  answer?: ApprovalAnswer;
}

export function approvalKey(incidentId: string, action: PolicyAction): string {
  return `${APPROVALS_PREFIX}${incidentId}/${action}.json`;
}

/** The request was answered already (a replayed link, a second click): refused (409). */
export class ApprovalAlreadyAnsweredError extends Error {
  constructor(
    message: string,
    readonly answer: ApprovalAnswer,
  ) {
    super(message);
    this.name = 'ApprovalAlreadyAnsweredError';
  }
}

/** No request matches (unknown incident, or an earlier request's nonce): refused (404). */
export class ApprovalNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalNotFoundError';
  }
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

export class ApprovalStore {
  /**
   * Answers in flight in this process, per request: the read-check-write of `answer` is one
   * step here, so two clicks that reach one process cannot both answer. Across processes Step
   * Functions is the arbiter on AWS (a task token completes once; SendTaskSuccess refuses the
   * second); locally the engine takes the first answer it reads.
   */
  private readonly answering = new Map<string, Promise<unknown>>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(record: ApprovalRecord): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: approvalKey(record.incidentId, record.action),
        Body: JSON.stringify(record, null, 2),
        ContentType: 'application/json',
      }),
    );
  }

  async get(incidentId: string, action: PolicyAction): Promise<ApprovalRecord | undefined> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: approvalKey(incidentId, action) }),
      );
      return JSON.parse(await object.Body!.transformToString()) as ApprovalRecord;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The incident's requests still waiting for an answer. */
  async pending(incidentId: string): Promise<ApprovalRecord[]> {
    const listed = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${APPROVALS_PREFIX}${incidentId}/` }),
    );
    const actions = (listed.Contents ?? []).flatMap((o) => {
      const match = /\/(restart|rollback)\.json$/.exec(o.Key ?? '');
      return match ? [match[1] as PolicyAction] : [];
    });
    const records = await Promise.all(actions.map((action) => this.get(incidentId, action)));
    return records.filter((r): r is ApprovalRecord => r !== undefined && !r.answer);
  }

  /**
   * Records the answer to the request `nonce` names, once: ApprovalNotFoundError when there is
   * no such request, ApprovalAlreadyAnsweredError when it has its answer. `deliver` (Step
   * Functions' SendTaskSuccess on AWS) runs before the answer is stored, so an answer Step
   * Functions refused is not recorded as given.
   */
  async answer(
    request: { incidentId: string; action: PolicyAction; nonce?: string },
    answer: ApprovalAnswer,
    deliver: (record: ApprovalRecord) => Promise<void>,
    now: Date,
  ): Promise<ApprovalRecord> {
    const key = approvalKey(request.incidentId, request.action);
    const before = this.answering.get(key) ?? Promise.resolve();
    const turn = before
      .catch(() => undefined)
      .then(async () => {
        const record = await this.get(request.incidentId, request.action);
        if (!record || (request.nonce !== undefined && record.nonce !== request.nonce)) {
          throw new ApprovalNotFoundError(
            `no ${request.action} approval request for incident ${request.incidentId}${request.nonce ? ' with this link' : ''}`,
          );
        }
        if (record.answer) {
          throw new ApprovalAlreadyAnsweredError(
            `already ${record.answer.decision} by ${record.answer.by} at ${record.answer.at}`,
            record.answer,
          );
        }
        // The flow has stopped waiting (on AWS the task token has timed out): too late to answer.
        if (now.getTime() >= Date.parse(record.expiresAt)) {
          throw new ApprovalExpiredError(
            `the request expired at ${record.expiresAt}; the incident was escalated`,
          );
        }
        await deliver(record);
        const answered = { ...record, answer };
        await this.put(answered);
        return answered;
      });
    this.answering.set(key, turn);
    try {
      return await turn;
    } finally {
      if (this.answering.get(key) === turn) this.answering.delete(key);
    }
  }
}

/** The answer in the words the route, the CLI and the report use. */
export function decisionOf(kind: ApprovalDecisionKind): ApprovalAnswer['decision'] {
  return kind === 'approve' ? 'approved' : 'rejected';
}
