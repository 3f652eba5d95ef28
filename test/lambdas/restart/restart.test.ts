import { restart } from '../../../lambdas/restart/restart';
import { rfc3339Seconds } from '../../../lambdas/shared/kubernetes/kubectl';
import {
  allowed,
  deployment,
  holdLock,
  incident,
  NS,
  startStepSandbox,
  stepEvent,
  target,
  type StepSandbox,
} from '../step-fixtures';

let s: StepSandbox;
const t = target('alldata-api');

beforeEach(async () => {
  s = await startStepSandbox([deployment('alldata-api')]);
  await s.advance(5);
  await holdLock(s, t);
  s.sandbox.requests.clear();
});

afterEach(async () => {
  await s.sandbox.stop();
});

describe('restart', () => {
  it('restarts as kubectl rollout restart does and records the revision that was running', async () => {
    // Act
    const result = await restart(stepEvent({ incident: incident(t), guard: allowed(t) }), {
      kube: s.kube,
      allowedNamespaces: [NS],
      now: s.now,
    });

    // Assess
    expect(result).toEqual({ revisionBefore: 1, restartedAt: rfc3339Seconds(s.now()), generation: 2 });
    // One PATCH, between the two writes of the remediation record on the Lease (sent, then applied).
    const lease = {
      verb: 'update',
      resource: 'leases',
      name: 'eks-incident-deployment-alldata-api',
      status: 200,
    };
    expect(s.sandbox.requests.writes()).toEqual([
      expect.objectContaining(lease),
      expect.objectContaining({ verb: 'patch', resource: 'deployments', name: 'alldata-api', status: 200 }),
      expect.objectContaining(lease),
    ]);
  });

  it.each([
    [
      'the guard did not allow it',
      { allowed: false, reason: 'cooldown' as const, detail: '' },
      [NS],
      false,
      'the guard did not allow remediation',
    ],
    [
      'the namespace is not allowed here',
      allowed(t),
      ['one-data-bisheng'],
      false,
      'namespace "one-data-alldata" is not in ALLOWED_NAMESPACES',
    ],
    ['the incident is a dry run', allowed(t), [NS], true, 'the incident is a dry run'],
  ])('refuses when %s, writing nothing', async (_case, guard, allowedNamespaces, dryRun, message) => {
    // Act
    const failure = restart(stepEvent({ incident: incident(t, { dryRun }), guard }), {
      kube: s.kube,
      allowedNamespaces,
      now: s.now,
    });

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'ActionNotAllowedError' });
    await expect(failure).rejects.toThrow(message);
    expect(s.sandbox.requests.all()).toEqual([]);
  });
});
