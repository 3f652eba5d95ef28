import {
  BUDGET_ANNOTATION,
  BUDGET_LEASE_NAME,
  reserveRemediation,
  stormRoster,
  type StormBrake,
} from '../../../lambdas/guard/storm-brake';
import type { StepEvent, WorkflowState } from '../../../lambdas/shared/contracts';
import {
  parseLedger,
  reserve,
  takeStormBatch,
  type BudgetLedger,
  type BudgetRequest,
} from '../../../lambdas/shared/remediation-budget';
import { EXECUTION, NS, startStepSandbox, type StepSandbox } from '../step-fixtures';

/*
 * The storm brake: the budget's arithmetic as pure functions, then its store (one Lease
 * annotation written by compare-and-swap) against the sandbox's API server over HTTP, with
 * many executions at once.
 */

const BUDGET = { cluster: 3, namespace: 2, windowSeconds: 600 };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const empty = (): BudgetLedger => parseLedger(undefined);

function request(n: number, namespace = 'team-a'): BudgetRequest {
  return {
    execution: `exec-${n}`,
    incidentId: `incident-${n}`,
    namespace,
    target: `Deployment ${namespace}/app-${n}`,
    evidencePrefix: `incidents/2026/01/01/incident-${n}/`,
    staleAfterSeconds: 360,
  };
}

describe('reserve (the budget arithmetic)', () => {
  it('grants up to the namespace budget, then refuses by namespace while other namespaces still get slots', () => {
    // Prepare
    let ledger = empty();
    const decide = (r: BudgetRequest) => {
      const out = reserve(ledger, r, new Date(T0), BUDGET);
      ledger = out.ledger;
      return out.decision;
    };

    // Act
    const decisions = [
      decide(request(1)),
      decide(request(2)),
      decide(request(3)),
      decide(request(4, 'team-b')),
    ];

    // Assess
    expect(decisions.map((d) => d.granted)).toEqual([true, true, false, true]);
    expect(decisions[2]).toMatchObject({ granted: false, scope: 'namespace', namespace: 2, opener: true });
  });

  it('refuses by cluster once the cluster budget is used, and only the first refusal opens the batch', () => {
    // Prepare
    let ledger = empty();
    for (const [n, ns] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ] as const) {
      ledger = reserve(ledger, request(n, ns), new Date(T0), BUDGET).ledger;
    }

    // Act
    const first = reserve(ledger, request(4, 'd'), new Date(T0 + 1000), BUDGET);
    const second = reserve(first.ledger, request(5, 'e'), new Date(T0 + 2000), BUDGET);

    // Assess
    expect(first.decision).toMatchObject({ granted: false, scope: 'cluster', cluster: 3, opener: true });
    expect(second.decision).toMatchObject({ granted: false, scope: 'cluster', opener: false });
    expect(second.ledger.pending.map((p) => p.incidentId)).toEqual(['incident-4', 'incident-5']);
  });

  it('frees a slot once a grant is older than the window', () => {
    // Prepare
    let ledger = empty();
    ledger = reserve(ledger, request(1), new Date(T0), BUDGET).ledger;
    ledger = reserve(ledger, request(2), new Date(T0 + 1000), BUDGET).ledger;

    // Act
    const inWindow = reserve(ledger, request(3), new Date(T0 + 599_000), BUDGET);
    const after = reserve(ledger, request(3), new Date(T0 + 600_001), BUDGET);

    // Assess
    expect(inWindow.decision.granted).toBe(false);
    expect(after.decision).toMatchObject({ granted: true, namespace: 2 });
    expect(after.ledger.grants.map((g) => g.execution)).toEqual(['exec-2', 'exec-3']);
  });

  it('answers a retried request as the first attempt was answered, without taking a second slot', () => {
    // Prepare
    let ledger = empty();
    ledger = reserve(ledger, request(1), new Date(T0), BUDGET).ledger;
    ledger = reserve(ledger, request(2), new Date(T0), BUDGET).ledger;
    ledger = reserve(ledger, request(3), new Date(T0), BUDGET).ledger;

    // Act
    const retryGranted = reserve(ledger, request(1), new Date(T0 + 5000), BUDGET);
    const retryRefused = reserve(ledger, request(3), new Date(T0 + 5000), BUDGET);

    // Assess
    expect(retryGranted.decision.granted).toBe(true);
    expect(retryGranted.ledger.grants).toHaveLength(2);
    expect(retryRefused.decision).toMatchObject({ granted: false, opener: true });
    expect(retryRefused.ledger.pending).toHaveLength(1);
  });

  it('hands a batch whose opener went stale to the next refused incident', () => {
    // Prepare
    let ledger = empty();
    ledger = reserve(ledger, request(1), new Date(T0), BUDGET).ledger;
    ledger = reserve(ledger, request(2), new Date(T0), BUDGET).ledger;
    ledger = reserve(ledger, request(3), new Date(T0), BUDGET).ledger;

    // Act
    const late = reserve(ledger, request(4), new Date(T0 + 361_000), BUDGET);

    // Assess
    expect(late.decision).toMatchObject({ granted: false, opener: true });
    expect(late.ledger.pending.filter((p) => p.opener).map((p) => p.execution)).toEqual(['exec-4']);
    expect(takeStormBatch(late.ledger, 'exec-3', new Date(T0)).entries).toEqual([]);
    expect(takeStormBatch(late.ledger, 'exec-4', new Date(T0)).entries).toHaveLength(2);
  });
});

describe('takeStormBatch', () => {
  it('gives the opener every pending incident once, again on a retry, and leaves the next batch to the next opener', () => {
    // Prepare
    let ledger = empty();
    for (const n of [1, 2, 3, 4]) ledger = reserve(ledger, request(n), new Date(T0), BUDGET).ledger;

    // Act
    const taken = takeStormBatch(ledger, 'exec-3', new Date(T0 + 60_000));
    const retried = takeStormBatch(taken.ledger, 'exec-3', new Date(T0 + 61_000));
    const next = reserve(taken.ledger, request(5), new Date(T0 + 62_000), BUDGET);

    // Assess
    expect(taken.entries.map((e) => e.incidentId)).toEqual(['incident-3', 'incident-4']);
    expect(taken.ledger.pending).toEqual([]);
    expect(retried.entries).toEqual(taken.entries);
    expect(next.decision).toMatchObject({ granted: false, opener: true });
  });

  it('gives a non-opener nothing', () => {
    // Prepare
    let ledger = empty();
    for (const n of [1, 2, 3, 4]) ledger = reserve(ledger, request(n), new Date(T0), BUDGET).ledger;

    // Act
    const taken = takeStormBatch(ledger, 'exec-4', new Date(T0));

    // Assess
    expect(taken.entries).toEqual([]);
    expect(taken.ledger).toBe(ledger);
  });
});

describe('parseLedger', () => {
  it('starts over from a ledger damaged by hand instead of failing every Guard', () => {
    expect(parseLedger('{not json')).toEqual({ grants: [], pending: [], batches: [] });
    expect(parseLedger('{"grants": 3}')).toEqual({ grants: [], pending: [], batches: [] });
  });
});

describe('the ledger store (a Lease annotation, compare-and-swap over HTTP)', () => {
  let s: StepSandbox;
  const brake: StormBrake = {
    budget: { cluster: 4, namespace: 4, windowSeconds: 3600 },
    ledgerNamespace: NS,
  };

  beforeAll(async () => {
    s = await startStepSandbox([]);
  });

  afterAll(async () => {
    await s.sandbox.stop();
  });

  function eventFor(n: number, namespace: string): StepEvent {
    const state = {
      incident: {
        id: `incident-${n}`,
        evidencePrefix: `incidents/2026/01/01/incident-${n}/`,
        target: { namespace, kind: 'Deployment', name: `app-${n}` },
        options: { waitSeconds: 60 },
      },
    } as unknown as WorkflowState;
    return { state, execution: { ...EXECUTION, id: `${EXECUTION.id}-${n}` } };
  }

  it('never grants more than the budget to many executions at once, and lists every refused one in one batch', async () => {
    // Prepare: 24 executions, as many namespaces' worth, all asking in the same instant.
    const events = Array.from({ length: 24 }, (_, n) => eventFor(n, NS));

    // Act
    const decisions = await Promise.all(events.map((e) => reserveRemediation(e, s.kube, brake, s.now())));
    const openers = events.filter((_, i) => decisions[i].granted === false && decisions[i].opener);
    const roster = await stormRoster(openers[0], s.kube, brake, s.now());

    // Assess
    expect(decisions.filter((d) => d.granted)).toHaveLength(4);
    expect(openers).toHaveLength(1);
    expect(roster.entries).toHaveLength(20);
    const lease = await s.kube.lock.getLease(NS, BUDGET_LEASE_NAME);
    const ledger = parseLedger(lease?.metadata?.annotations?.[BUDGET_ANNOTATION]);
    expect(ledger.grants).toHaveLength(4);
    expect(ledger.pending).toEqual([]);
    // The ledger's Lease is nobody's lock.
    expect(lease?.spec?.holderIdentity).toBeUndefined();
  });
});
