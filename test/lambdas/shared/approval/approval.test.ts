import { policyFor, remediationPolicySchema } from '../../../../lambdas/shared/approval/policy';
import {
  ApprovalExpiredError,
  ApprovalSignatureError,
  approvalLink,
  slackSignature,
  verifyApprovalLink,
  verifySlackSignature,
} from '../../../../lambdas/shared/approval/signatures';

const target = { namespace: 'payments', kind: 'Deployment' as const, name: 'ledger' };

describe('policyFor', () => {
  it('defaults to restart auto, rollback approve', () => {
    expect(policyFor(target, remediationPolicySchema.parse({}))).toEqual({
      restart: 'auto',
      rollback: 'approve',
    });
  });

  it('takes the workload over its namespace over the default, per action', () => {
    // Prepare
    const policy = remediationPolicySchema.parse({
      default: { rollback: 'auto' },
      namespaces: { payments: { restart: 'approve', rollback: 'approve' } },
      workloads: { 'payments/Deployment/ledger': { rollback: 'never' } },
    });

    // Act + Assess
    expect(policyFor(target, policy)).toEqual({ restart: 'approve', rollback: 'never' });
    expect(policyFor({ ...target, name: 'other' }, policy)).toEqual({
      restart: 'approve',
      rollback: 'approve',
    });
    expect(policyFor({ ...target, namespace: 'web' }, policy)).toEqual({ restart: 'auto', rollback: 'auto' });
  });

  it('refuses modes and keys it does not know', () => {
    expect(remediationPolicySchema.safeParse({ default: { restart: 'sometimes' } }).success).toBe(false);
    expect(remediationPolicySchema.safeParse({ workloads: { ledger: { restart: 'auto' } } }).success).toBe(
      false,
    );
    expect(remediationPolicySchema.safeParse({ default: { scale: 'auto' } }).success).toBe(false);
  });
});

describe('approval links', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const fields = {
    incidentId: '20260101-000000-payments-ledger-abc123',
    action: 'rollback' as const,
    nonce: 'n1',
    decision: 'approve' as const,
    expires: now.getTime() / 1000 + 600,
  };
  const parse = (link: string) => {
    const url = new URL(link);
    const [incidentId, action] = url.pathname.split('/').slice(-2);
    return { path: { incidentId, action }, query: url.searchParams };
  };

  it('verifies a link it signed, until it expires', () => {
    // Prepare
    const { path, query } = parse(approvalLink('https://api.example.com/prod', fields, 'secret'));

    // Act + Assess
    expect(verifyApprovalLink(path, query, 'secret', now)).toEqual(fields);
    expect(() => verifyApprovalLink(path, query, 'secret', new Date(fields.expires * 1000))).toThrow(
      ApprovalExpiredError,
    );
  });

  it('refuses a link whose decision, action, nonce or expiry was changed, or signed with another secret', () => {
    // Prepare
    const { path, query } = parse(approvalLink('https://api.example.com/', fields, 'secret'));
    const changed = (name: string, value: string) => {
      const q = new URLSearchParams(query);
      q.set(name, value);
      return q;
    };

    // Act + Assess
    for (const q of [
      changed('decision', 'reject'),
      changed('nonce', 'n2'),
      changed('expires', '99999999999'),
    ]) {
      expect(() => verifyApprovalLink(path, q, 'secret', now)).toThrow(ApprovalSignatureError);
    }
    expect(() => verifyApprovalLink({ ...path, action: 'restart' }, query, 'secret', now)).toThrow(
      ApprovalSignatureError,
    );
    expect(() => verifyApprovalLink(path, query, 'other', now)).toThrow(ApprovalSignatureError);
  });
});

describe('Slack request signatures', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const timestamp = String(now.getTime() / 1000);
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

  it('accepts what Slack signs, within five minutes', () => {
    const signature = slackSignature('signing', timestamp, body);
    expect(() => verifySlackSignature({ timestamp, signature }, body, 'signing', now)).not.toThrow();
    expect(() =>
      verifySlackSignature({ timestamp, signature }, body, 'signing', new Date(now.getTime() + 300_000)),
    ).not.toThrow();
  });

  it('refuses another secret, a changed body, a missing header and an old timestamp', () => {
    const signature = slackSignature('signing', timestamp, body);
    expect(() => verifySlackSignature({ timestamp, signature }, body, 'other', now)).toThrow(
      ApprovalSignatureError,
    );
    expect(() => verifySlackSignature({ timestamp, signature }, `${body}x`, 'signing', now)).toThrow(
      ApprovalSignatureError,
    );
    expect(() => verifySlackSignature({ timestamp }, body, 'signing', now)).toThrow(ApprovalSignatureError);
    expect(() =>
      verifySlackSignature({ timestamp, signature }, body, 'signing', new Date(now.getTime() + 301_000)),
    ).toThrow(ApprovalSignatureError);
  });
});
