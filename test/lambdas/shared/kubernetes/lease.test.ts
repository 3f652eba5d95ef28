import { NS, startKube, type KubeUnderTest } from './sandbox-kube';

// The per-workload lock the Guard takes: a coordination.k8s.io/v1 Lease.
let t: KubeUnderTest;

beforeEach(async () => {
  t = await startKube({ controllers: false, clock: { mode: 'manual' } });
});

afterEach(async () => {
  await t.sandbox.stop();
});

const LOCK = 'eks-incident-deployment-alldata-api';
const T0 = new Date('2026-01-01T00:00:00Z');
const after = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

describe('acquireLease', () => {
  it('creates the Lease for the first holder; a second holder sees it held until it expires', async () => {
    // Act
    const first = await t.kube.lock.acquireLease(NS, LOCK, 'exec-1', 900, T0);
    const contended = await t.kube.lock.acquireLease(NS, LOCK, 'exec-2', 900, after(899));
    const renewed = await t.kube.lock.acquireLease(NS, LOCK, 'exec-1', 900, after(600));
    const stillHeld = await t.kube.lock.acquireLease(NS, LOCK, 'exec-2', 900, after(1200));
    const takenOver = await t.kube.lock.acquireLease(NS, LOCK, 'exec-2', 900, after(1501));

    // Assess
    expect(first).toEqual({
      acquired: true,
      holderIdentity: 'exec-1',
      expiresAt: '2026-01-01T00:15:00.000Z',
    });
    expect(contended).toEqual({
      acquired: false,
      holderIdentity: 'exec-1',
      expiresAt: '2026-01-01T00:15:00.000Z',
    });
    expect(renewed).toEqual({
      acquired: true,
      holderIdentity: 'exec-1',
      expiresAt: '2026-01-01T00:25:00.000Z',
    });
    expect(stillHeld.acquired).toBe(false);
    expect(takenOver).toEqual({
      acquired: true,
      holderIdentity: 'exec-2',
      expiresAt: '2026-01-01T00:40:01.000Z',
    });
    const lease = await t.kube.lock.getLease(NS, LOCK);
    expect(lease?.spec).toMatchObject({
      holderIdentity: 'exec-2',
      leaseDurationSeconds: 900,
      leaseTransitions: 1,
      acquireTime: '2026-01-01T00:25:01.000000Z',
      renewTime: '2026-01-01T00:25:01.000000Z',
    });
  });

  it('lets exactly one of two simultaneous takers win, by create and by resourceVersion precondition', async () => {
    // Prepare: the first write of each round lands late, after the other taker has read and written.
    t.sandbox.faults.add({ verb: 'create', resource: 'leases', latencyMs: 300, times: 1 });
    t.sandbox.faults.add({ verb: 'update', resource: 'leases', latencyMs: 300, times: 1 });

    // Act
    const creates = await Promise.all([
      t.kube.lock.acquireLease(NS, LOCK, 'exec-a', 60, T0),
      t.kube.lock.acquireLease(NS, LOCK, 'exec-b', 60, T0),
    ]);
    const takeovers = await Promise.all([
      t.kube.lock.acquireLease(NS, LOCK, 'exec-c', 60, after(120)),
      t.kube.lock.acquireLease(NS, LOCK, 'exec-d', 60, after(120)),
    ]);

    // Assess
    for (const pair of [creates, takeovers]) {
      expect(pair.filter((o) => o.acquired)).toHaveLength(1);
      const winner = pair.find((o) => o.acquired)!.holderIdentity;
      expect(pair.map((o) => o.holderIdentity)).toEqual([winner, winner]);
    }
    const conflicts = t.sandbox.requests.writes().filter((w) => w.status === 409);
    expect(conflicts.map((w) => w.verb).sort()).toEqual(['create', 'update']);
  });
});

describe('releaseLease', () => {
  it('releases only for the holder, after which anyone acquires at once', async () => {
    // Prepare
    await t.kube.lock.acquireLease(NS, LOCK, 'exec-1', 900, T0);

    // Act
    const byOther = await t.kube.lock.releaseLease(NS, LOCK, 'exec-2', after(10));
    const byHolder = await t.kube.lock.releaseLease(NS, LOCK, 'exec-1', after(20));
    const again = await t.kube.lock.releaseLease(NS, LOCK, 'exec-1', after(30));
    const next = await t.kube.lock.acquireLease(NS, LOCK, 'exec-3', 900, after(40));
    const missing = await t.kube.lock.releaseLease(NS, 'no-such-lock', 'exec-1', after(50));

    // Assess
    expect([byOther, byHolder, again, missing]).toEqual([false, true, false, false]);
    expect(next).toMatchObject({ acquired: true, holderIdentity: 'exec-3' });
    expect((await t.kube.lock.getLease(NS, LOCK))?.spec?.leaseTransitions).toBe(1);
  });
});
