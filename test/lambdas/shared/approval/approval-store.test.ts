import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ApprovalAlreadyAnsweredError,
  ApprovalStore,
  type ApprovalRecord,
} from '../../../../lambdas/shared/approval/approval-store';
import { startLocalAws, type LocalAws } from '../../../support/aws';

/*
 * Single use across processes: two approval-function invocations answer the same request at the
 * same moment. Each has its own ApprovalStore (no shared in-process queue), so only the S3
 * conditional write can let one through. fauxqs 2.4.1 accepts PutObject's If-Match and ignores
 * it (checked: a put with a wrong ETag succeeds), so the client below checks If-Match in front of
 * it as S3 documents it (412 PreconditionFailed when the current ETag differs), one conditional
 * write at a time; every other call goes to fauxqs unchanged.
 */

function honoringIfMatch(s3: S3Client, reads: { count: number; both: Promise<void> }): S3Client {
  let writes: Promise<unknown> = Promise.resolve();
  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof GetObjectCommand) {
      const result = await s3.send(command);
      reads.count += 1;
      return result;
    }
    if (!(command instanceof PutObjectCommand) || command.input.IfMatch === undefined) {
      return s3.send(command as never);
    }
    // Both invocations have read the request before either writes: the race at its closest.
    await reads.both;
    const turn = writes.then(async () => {
      const { Bucket, Key } = command.input;
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
      if (head.ETag !== command.input.IfMatch) {
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        });
      }
      return s3.send(command);
    });
    writes = turn.catch(() => undefined);
    return turn;
  };
  return new Proxy(s3, { get: (target, name) => (name === 'send' ? send : Reflect.get(target, name)) });
}

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

describe('ApprovalStore.answer across invocations', () => {
  it('lets exactly one of two simultaneous answers through; the other is refused as answered', async () => {
    // Prepare
    const now = new Date();
    const record: ApprovalRecord = {
      incidentId: '20261122-030000-payments-ledger-0a1b2c',
      action: 'rollback',
      target: 'Deployment payments/ledger',
      taskToken: 'token-1',
      nonce: 'nonce-1',
      requestedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
    };
    await new ApprovalStore(aws.s3, aws.bucket).put(record);
    let bothRead!: () => void;
    const reads = { count: 0, both: new Promise<void>((resolve) => (bothRead = resolve)) };
    const s3 = honoringIfMatch(aws.s3, reads);
    const poll = setInterval(() => reads.count >= 2 && bothRead(), 5);
    const delivered: string[] = [];
    const answerAs = (by: string, decision: 'approved' | 'rejected') =>
      new ApprovalStore(s3, aws.bucket).answer(
        { incidentId: record.incidentId, action: 'rollback', nonce: 'nonce-1' },
        { decision, by, via: 'slack', at: now.toISOString() },
        async () => {
          delivered.push(by);
        },
        now,
      );

    // Act
    const results = await Promise.allSettled([answerAs('alice', 'approved'), answerAs('bob', 'rejected')]);
    clearInterval(poll);

    // Assess
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ApprovalAlreadyAnsweredError);
    expect(delivered).toHaveLength(1);
    const stored = await new ApprovalStore(aws.s3, aws.bucket).get(record.incidentId, 'rollback');
    expect(stored?.answer?.by).toBe(delivered[0]);
  });
});
