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

/**
 * S3 refused a conditional write: the object changed since it was read (412 PreconditionFailed),
 * or another conditional write to it was in flight (409 ConditionalRequestConflict).
 */
function lostTheRace(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    name === 'PreconditionFailed' ||
    name === 'ConditionalRequestConflict' ||
    $metadata?.httpStatusCode === 412
  );
}

export class ApprovalStore {
  /**
   * Answers in flight in this process, per request, one after the other. Across processes (the
   * approval function's concurrent invocations on AWS) the conditional write in `answer` is what
   * lets one answer through; this queue keeps one process from racing itself, and is all there
   * is where the S3 emulator ignores conditional writes (fauxqs 2.4.1 does): locally, `serve`,
   * the engine and `eks-incident approve` (through serve's route) answer in one process.
   */
  private readonly answering = new Map<string, Promise<unknown>>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Writes the record; with `ifMatch`, only over the version with that ETag. Returns the new ETag. */
  private async write(record: ApprovalRecord, ifMatch?: string): Promise<string | undefined> {
    const written = await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: approvalKey(record.incidentId, record.action),
        Body: JSON.stringify(record, null, 2),
        ContentType: 'application/json',
        IfMatch: ifMatch,
      }),
    );
    return written.ETag;
  }

  async put(record: ApprovalRecord): Promise<void> {
    await this.write(record);
  }

  private async read(
    incidentId: string,
    action: PolicyAction,
  ): Promise<{ record: ApprovalRecord; etag?: string } | undefined> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: approvalKey(incidentId, action) }),
      );
      return {
        record: JSON.parse(await object.Body!.transformToString()) as ApprovalRecord,
        etag: object.ETag,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async get(incidentId: string, action: PolicyAction): Promise<ApprovalRecord | undefined> {
    return (await this.read(incidentId, action))?.record;
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
   * no such request, ApprovalAlreadyAnsweredError when it has its answer, ApprovalExpiredError
   * when it is too late.
   *
   * Single use is a compare-and-swap on the request's object: the answer is written over the
   * exact version that was read (S3 `If-Match` on its ETag), so of two answers racing from two
   * invocations one write lands and the other is refused and reads the winner's answer. Only the
   * winner calls `deliver` (Step Functions' SendTaskSuccess on AWS); if that fails, the request
   * is put back unanswered, so an answer Step Functions refused is not recorded as given.
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
        const read = await this.read(request.incidentId, request.action);
        const record = this.answerable(read?.record, request, now);
        const answered = { ...record, answer };
        let claimed: string | undefined;
        try {
          claimed = await this.write(answered, read!.etag);
        } catch (error) {
          if (!lostTheRace(error)) throw error;
          // Whoever wrote first decides what this answer is told (409 answered, 404 superseded);
          // a winner whose delivery failed has put the request back: the error stands, try again.
          this.answerable(await this.get(request.incidentId, request.action), request, now);
          throw error;
        }
        try {
          await deliver(record);
        } catch (error) {
          await this.write(record, claimed).catch(() => undefined);
          throw error;
        }
        return answered;
      });
    this.answering.set(key, turn);
    try {
      return await turn;
    } finally {
      if (this.answering.get(key) === turn) this.answering.delete(key);
    }
  }

  /** The request, if it can still take an answer; otherwise the error that says why not. */
  private answerable(
    record: ApprovalRecord | undefined,
    request: { incidentId: string; action: PolicyAction; nonce?: string },
    now: Date,
  ): ApprovalRecord {
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
    return record;
  }
}

/** The answer in the words the route, the CLI and the report use. */
export function decisionOf(kind: ApprovalDecisionKind): ApprovalAnswer['decision'] {
  return kind === 'approve' ? 'approved' : 'rejected';
}
