import { restart } from '../../../lambdas/restart/restart';
import { rollback } from '../../../lambdas/rollback/rollback';
import type { WorkflowState } from '../../../lambdas/shared/contracts';
import { verify } from '../../../lambdas/verify/verify';
import {
  allowed,
  deployment,
  diagnosticsAt,
  holdLock,
  incident,
  NS,
  startStepSandbox,
  stepEvent,
  target,
  type StepSandbox,
} from '../step-fixtures';

let s: StepSandbox;
let state: WorkflowState;
const t = target('alldata-api');
const deps = () => ({ kube: s.kube, allowedNamespaces: [NS], now: s.now });

beforeEach(async () => {
  // Prepare: revision 1 healthy, revision 2 a bad release, restarted (revision 3) to no avail.
  s = await startStepSandbox([deployment('alldata-api')]);
  await s.advance(5);
  await s.deploy('alldata-api', {
    image: 'registry.example.com/one-data/alldata-api:1.5.0',
    behavior: { api: { mode: 'crash', logs: ['panic: config key "db.pool" missing'] } },
  });
  await s.advance(30);
  state = { incident: incident(t), diagnostics: diagnosticsAt(t, 2, 1), guard: allowed(t) };
  await holdLock(s, t);
  state.restart = await restart(stepEvent(state), deps());
  await s.advance(301);
  state.verification = await verify(stepEvent(state), { kube: s.kube, now: s.now });
});

afterEach(async () => {
  await s.sandbox.stop();
});

async function liveImage(): Promise<string | undefined> {
  const { object } = await s.kube.workloads.getWorkload(t);
  return object.spec?.template.spec?.containers[0].image;
}

describe('rollback', () => {
  it('goes back to the revision before the incident, not kubectl’s default (the pre-restart template)', async () => {
    // Act
    const result = await rollback(stepEvent(state), deps());
    await s.advance(60);
    const after = await verify(stepEvent({ ...state, rollback: result }), { kube: s.kube, now: s.now });

    // Assess
    expect(result).toEqual({
      fromRevision: 3,
      toRevision: 1,
      skipped: false,
      rolledBackAt: expect.any(String),
    });
    expect(await liveImage()).toBe('registry.example.com/one-data/alldata-api:1.4.2');
    expect(after).toMatchObject({ outcome: 'healthy', phase: 'rollback', rollbackPossible: false });
    expect(after.history.map((h) => `${h.phase}:${h.outcome}`)).toEqual([
      'restart:failed',
      'rollback:healthy',
    ]);
  });

  it('goes to the revision the input forces', async () => {
    // Act
    const result = await rollback(
      stepEvent({ ...state, incident: incident(t, { rollbackToRevision: 2 }) }),
      deps(),
    );

    // Assess
    expect(result.toRevision).toBe(2);
    expect(await liveImage()).toBe('registry.example.com/one-data/alldata-api:1.5.0');
  });

  it('refuses when the incident does not allow rollback, writing nothing', async () => {
    // Prepare
    s.sandbox.requests.clear();

    // Act
    const failure = rollback(
      stepEvent({ ...state, incident: incident(t, { allowRollback: false }) }),
      deps(),
    );

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'ActionNotAllowedError' });
    expect(s.sandbox.requests.writes()).toEqual([]);
  });

  it('refuses when there is no revision before the incident’s', async () => {
    // Act
    const failure = rollback(stepEvent({ ...state, diagnostics: diagnosticsAt(t, 2) }), deps());

    // Assess
    await expect(failure).rejects.toMatchObject({
      name: 'RolloutRefusedError',
      message: 'no revision before 2 to roll back to',
    });
  });
});
