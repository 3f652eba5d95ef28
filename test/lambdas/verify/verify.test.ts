import { restart } from '../../../lambdas/restart/restart';
import type { RestartResult, WorkflowState } from '../../../lambdas/shared/contracts';
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

afterEach(async () => {
  await s.sandbox.stop();
});

const t = target('alldata-api');
const MYSQL_DOWN = `(2003, "Can't connect to MySQL server on 'mysql'")`;

async function restarted(state: WorkflowState): Promise<RestartResult> {
  await holdLock(s, t);
  return restart(stepEvent(state), { kube: s.kube, allowedNamespaces: [NS], now: s.now });
}

async function check(state: WorkflowState) {
  return verify(stepEvent(state), { kube: s.kube, now: s.now });
}

describe('verify after a restart', () => {
  it('is progressing while the new pods start, then healthy, carrying its history', async () => {
    // Prepare: crashing until restarted (MySQL came up meanwhile).
    s = await startStepSandbox([
      deployment('alldata-api', {
        behavior: { api: { mode: 'crash', logs: [MYSQL_DOWN], recoverAfterRolloutRestart: true } },
      }),
    ]);
    await s.advance(30);
    const state: WorkflowState = {
      incident: incident(t),
      diagnostics: diagnosticsAt(t, 1),
      guard: allowed(t),
    };
    state.restart = await restarted(state);

    // Act
    const first = await check(state);
    await s.advance(60);
    const second = await check({ ...state, verification: first });

    // Assess
    expect(first).toMatchObject({ outcome: 'progressing', phase: 'restart', rollbackPossible: false });
    expect(first.message).toMatch(/^Waiting for deployment "alldata-api" rollout to finish: /);
    expect(first.deadline).toBe(new Date(Date.parse(state.restart.restartedAt) + 300_000).toISOString());
    expect(second).toMatchObject({
      outcome: 'healthy',
      phase: 'restart',
      message: 'deployment "alldata-api" successfully rolled out; 2/2 pods of revision 2 ready',
      rollbackPossible: false,
    });
    expect(second.history).toEqual([
      { phase: 'restart', outcome: 'progressing', message: first.message, checkedAt: first.checkedAt },
      { phase: 'restart', outcome: 'healthy', message: second.message, checkedAt: second.checkedAt },
    ]);
  });

  describe('of a bad release', () => {
    let state: WorkflowState;

    beforeEach(async () => {
      // Prepare: revision 1 was healthy; revision 2 crashes whatever is done to it.
      s = await startStepSandbox([deployment('alldata-api')]);
      await s.advance(5);
      await s.deploy('alldata-api', {
        image: 'registry.example.com/one-data/alldata-api:1.5.0',
        behavior: { api: { mode: 'crash', logs: ['panic: config key "db.pool" missing'] } },
      });
      await s.advance(30);
      state = { incident: incident(t), diagnostics: diagnosticsAt(t, 2, 1), guard: allowed(t) };
      state.restart = await restarted(state);
    });

    it('fails once the deadline passes and offers the rollback to the revision before the incident', async () => {
      // Prepare
      await s.advance(301);

      // Act
      const result = await check(state);

      // Assess
      expect(result.outcome).toBe('failed');
      expect(result.message).toMatch(
        /^not healthy 300 s after the restart: Waiting for deployment "alldata-api"/,
      );
      expect(result.message).toContain('CrashLoopBackOff');
      expect(result.rollbackPossible).toBe(true);
    });

    it('offers no rollback when the incident does not allow one', async () => {
      // Prepare
      await s.advance(301);

      // Act
      const result = await check({ ...state, incident: incident(t, { allowRollback: false }) });

      // Assess
      expect(result).toMatchObject({ outcome: 'failed', rollbackPossible: false });
    });

    it('offers no rollback to a revision that does not exist', async () => {
      // Prepare
      await s.advance(301);

      // Act
      const result = await check({ ...state, incident: incident(t, { rollbackToRevision: 7 }) });

      // Assess
      expect(result).toMatchObject({ outcome: 'failed', rollbackPossible: false });
    });
  });
});
