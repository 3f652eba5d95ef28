import { remediationPolicySchema } from '../../../lambdas/shared/approval/policy';
import { DEFAULT_REMEDIATION_BUDGET } from '../../../lambdas/shared/remediation-budget';
import { guard, lockName, type GuardConfig } from '../../../lambdas/guard/guard';
import type { GuardDecision, LockRelease, WorkflowState } from '../../../lambdas/shared/contracts';
import { rfc3339Seconds } from '../../../lambdas/shared/kubernetes/kubectl';
import {
  deployment,
  EXECUTION,
  incident,
  NS,
  startStepSandbox,
  stepEvent,
  target,
  type StepSandbox,
} from '../step-fixtures';

let s: StepSandbox;

afterEach(async () => {
  await s?.sandbox.stop();
});

const config: GuardConfig = {
  allowedNamespaces: [NS],
  cooldownSeconds: 600,
  lockTtlSeconds: 900,
  stormBrake: { budget: DEFAULT_REMEDIATION_BUDGET, ledgerNamespace: NS },
  remediationPolicy: remediationPolicySchema.parse({}),
};

async function acquire(state: WorkflowState, overrides: Partial<GuardConfig> = {}): Promise<GuardDecision> {
  s.sandbox.requests.clear();
  return (await guard(stepEvent(state, { action: 'acquire' }), {
    kube: s.kube,
    config: { ...config, ...overrides },
    now: s.now,
  })) as GuardDecision;
}

async function release(state: WorkflowState, execution = EXECUTION): Promise<LockRelease> {
  s.sandbox.requests.clear();
  return (await guard(
    { state, execution, params: { action: 'release' } },
    { kube: s.kube, config, now: s.now },
  )) as LockRelease;
}

describe('guard (acquire)', () => {
  beforeEach(async () => {
    s = await startStepSandbox([deployment('alldata-api')]);
  });

  it('refuses a dry run without a single request to the cluster', async () => {
    // Act
    const decision = await acquire({ incident: incident(target('alldata-api'), { dryRun: true }) });

    // Assess
    expect(decision).toEqual({
      allowed: false,
      reason: 'dry-run',
      detail: 'Dry run: no remediation; nothing in the cluster was changed.',
    });
    expect(s.sandbox.requests.all()).toEqual([]);
  });

  it('refuses a namespace outside the allow-list without a request', async () => {
    // Act
    const decision = await acquire(
      { incident: incident(target('alldata-api')) },
      { allowedNamespaces: ['one-data-bisheng'] },
    );

    // Assess
    expect(decision).toMatchObject({ allowed: false, reason: 'namespace-not-allowed' });
    expect(decision.detail).toContain('"one-data-alldata" is not in ALLOWED_NAMESPACES (one-data-bisheng)');
    expect(s.sandbox.requests.all()).toEqual([]);
  });

  it('refuses a workload no ALLOWED_WORKLOADS entry matches', async () => {
    // Act
    const decision = await acquire(
      { incident: incident(target('alldata-api')) },
      { allowedWorkloads: [`${NS}/StatefulSet/*`, `${NS}/deployment/kettle-worker`] },
    );

    // Assess
    expect(decision).toMatchObject({ allowed: false, reason: 'workload-not-allowed' });
    expect(s.sandbox.requests.all()).toEqual([]);
  });

  it('takes the per-workload Lease for this execution when everything allows it', async () => {
    // Act
    const decision = await acquire(
      { incident: incident(target('alldata-api')) },
      { allowedWorkloads: [`${NS}/Deployment/*`] },
    );

    // Assess
    expect(decision).toEqual({
      allowed: true,
      detail: expect.stringContaining(`Lock ${NS}/eks-incident-deployment-alldata-api acquired until`),
      lock: {
        namespace: NS,
        name: 'eks-incident-deployment-alldata-api',
        holderIdentity: EXECUTION.id,
        acquired: true,
      },
      decidedAt: s.now().toISOString(),
      policy: { restart: 'auto', rollback: 'approve' },
    });
    // Sized to the remediation's deadline (restart, 2 × 60 s wait, 300 s verify, two step budgets),
    // below LOCK_TTL_SECONDS (900).
    const lease = await s.kube.lock.getLease(NS, 'eks-incident-deployment-alldata-api');
    expect(lease?.spec).toMatchObject({ holderIdentity: EXECUTION.id, leaseDurationSeconds: 660 });
  });

  it('refuses while another execution holds the lock', async () => {
    // Prepare
    await s.kube.lock.acquireLease(
      NS,
      'eks-incident-deployment-alldata-api',
      'other-execution',
      900,
      s.now(),
    );

    // Act
    const decision = await acquire({ incident: incident(target('alldata-api')) });

    // Assess
    expect(decision).toMatchObject({
      allowed: false,
      reason: 'locked',
      lock: { holderIdentity: 'other-execution', acquired: false },
    });
    expect(s.sandbox.requests.writes()).toEqual([]);
  });

  it('takes over a lock whose holder let it expire', async () => {
    // Prepare
    await s.kube.lock.acquireLease(
      NS,
      'eks-incident-deployment-alldata-api',
      'crashed-execution',
      60,
      s.now(),
    );
    await s.advance(61);

    // Act
    const decision = await acquire({ incident: incident(target('alldata-api')) });

    // Assess
    expect(decision).toMatchObject({
      allowed: true,
      lock: { holderIdentity: EXECUTION.id, acquired: true },
    });
  });
});

describe('guard (acquire) and the workload', () => {
  it('refuses a paused Deployment', async () => {
    // Prepare
    s = await startStepSandbox([deployment('alldata-api', { paused: true })]);

    // Act
    const decision = await acquire({ incident: incident(target('alldata-api')) });

    // Assess
    expect(decision).toMatchObject({ allowed: false, reason: 'paused' });
    expect(s.sandbox.requests.writes()).toEqual([]);
  });

  it('refuses a second restart within the cooldown', async () => {
    // Prepare: restarted five minutes ago.
    s = await startStepSandbox([]);
    const fiveMinutesAgo = rfc3339Seconds(new Date(s.now().getTime() - 300_000));
    s.sandbox.apply([
      deployment('alldata-api', { annotations: { 'kubectl.kubernetes.io/restartedAt': fiveMinutesAgo } }),
    ]);

    // Act
    const decision = await acquire({ incident: incident(target('alldata-api')) });

    // Assess
    expect(decision).toMatchObject({ allowed: false, reason: 'cooldown' });
    expect(decision.detail).toContain(
      `last restarted at ${fiveMinutesAgo} (300 s ago), within the cooldown of 600 s`,
    );
    expect(s.sandbox.requests.writes()).toEqual([]);
  });

  it('allows a restart once the cooldown has passed', async () => {
    // Prepare
    s = await startStepSandbox([]);
    const longAgo = rfc3339Seconds(new Date(s.now().getTime() - 601_000));
    s.sandbox.apply([
      deployment('alldata-api', { annotations: { 'kubectl.kubernetes.io/restartedAt': longAgo } }),
    ]);

    // Act
    const decision = await acquire({ incident: incident(target('alldata-api')) });

    // Assess
    expect(decision.allowed).toBe(true);
  });
});

describe('guard (release)', () => {
  beforeEach(async () => {
    s = await startStepSandbox([deployment('alldata-api')]);
  });

  it('releases the lock this execution holds', async () => {
    // Prepare
    const inc = incident(target('alldata-api'));
    const decision = await acquire({ incident: inc });

    // Act
    const result = await release({ incident: inc, guard: decision });

    // Assess
    expect(result).toEqual({
      released: true,
      detail: `Lock ${NS}/eks-incident-deployment-alldata-api released.`,
    });
    const lease = await s.kube.lock.getLease(NS, 'eks-incident-deployment-alldata-api');
    expect(lease?.spec?.holderIdentity).toBeUndefined();
  });

  it('leaves alone a lock another execution holds', async () => {
    // Prepare
    const inc = incident(target('alldata-api'));
    await s.kube.lock.acquireLease(
      NS,
      'eks-incident-deployment-alldata-api',
      'other-execution',
      900,
      s.now(),
    );
    const decision = await acquire({ incident: inc });

    // Act
    const result = await release({ incident: inc, guard: decision });

    // Assess
    expect(result.released).toBe(false);
    expect(s.sandbox.requests.all()).toEqual([]);
    const lease = await s.kube.lock.getLease(NS, 'eks-incident-deployment-alldata-api');
    expect(lease?.spec?.holderIdentity).toBe('other-execution');
  });

  it('releases a lock a failed Guard may have left, by its name, only if ours', async () => {
    // Prepare: Guard took the lock, then its result was lost to a caught error.
    const inc = incident(target('alldata-api'));
    await acquire({ incident: inc });

    // Act
    const result = await release({ incident: inc, error: { Error: 'States.Timeout' } });

    // Assess
    expect(result.released).toBe(true);
  });

  it('makes no request for a dry run', async () => {
    // Act
    const result = await release({ incident: incident(target('alldata-api'), { dryRun: true }) });

    // Assess
    expect(result).toEqual({ released: false, detail: 'Dry run: no lock was taken.' });
    expect(s.sandbox.requests.all()).toEqual([]);
  });
});

describe('lockName', () => {
  it('is readable for ordinary names', () => {
    expect(lockName(target('alldata-api'))).toBe('eks-incident-deployment-alldata-api');
  });

  it('stays a valid 63-character name for long ones, unique by hash', () => {
    // Prepare
    const long = `${'a'.repeat(40)}.${'b'.repeat(40)}`;

    // Act
    const name = lockName(target(long));
    const other = lockName(target(`${long}x`));

    // Assess
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(name).not.toBe(other);
  });
});
