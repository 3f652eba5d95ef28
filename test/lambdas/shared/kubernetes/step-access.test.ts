import type { KubernetesPort } from '../../../../lambdas/shared/kubernetes/kubernetes-port';
import {
  ALL_API_USAGE,
  KUBERNETES_STEPS,
  STEP_OPERATIONS,
  STEP_PORTS,
  stepKubernetes,
  type StepKubernetes,
} from '../../../../lambdas/shared/kubernetes/step-access';

// One declaration (STEP_PORTS: the ports each step uses, and their operations) is what a step's
// dependencies are typed from, and what its RBAC is generated from (through STEP_OPERATIONS and
// api-usage.ts).

describe('STEP_PORTS', () => {
  it("derives each step's operations from the ports it declares", () => {
    // Act + Assess
    expect(STEP_OPERATIONS.restart).toEqual(['getLease', 'recordRemediation', 'rolloutRestart']);
    expect(STEP_OPERATIONS['collect-events']).toEqual(['eventSubjects', 'listServedEvents']);
    for (const step of KUBERNETES_STEPS) {
      expect(STEP_OPERATIONS[step]).toEqual(Object.values(STEP_PORTS[step]).flat());
    }
  });

  it('declares only operations that make a declared request (so each one is granted something)', () => {
    // Prepare
    const known = new Set(ALL_API_USAGE.flatMap((use) => use.operations));

    // Act
    const unknown = KUBERNETES_STEPS.flatMap((step) =>
      STEP_OPERATIONS[step]
        .filter((operation) => !known.has(operation))
        .map((operation) => `${step}: ${operation}`),
    );

    // Assess
    expect(unknown).toEqual([]);
  });

  it('gives the remediating steps their ports and nothing else', () => {
    // Act + Assess
    expect(Object.keys(STEP_PORTS.restart).sort()).toEqual(['lock', 'rollouts']);
    expect(Object.keys(STEP_PORTS.rollback).sort()).toEqual(['lock', 'rollouts', 'workloads']);
    expect(Object.keys(STEP_PORTS['cluster-dump']).sort()).toEqual(['dump', 'logs']);
    expect(Object.keys(STEP_PORTS.intake)).toEqual(['owners']);
  });
});

describe('stepKubernetes', () => {
  /** A port whose every operation records its name and the object it was called on. */
  function recordingPort(): { port: KubernetesPort; calls: Array<{ operation: string; on: string }> } {
    const calls: Array<{ operation: string; on: string }> = [];
    const portOf = (name: string) =>
      new Proxy(
        { name },
        {
          get: (target, operation) =>
            operation === 'name'
              ? target.name
              : function (this: { name: string }) {
                  calls.push({ operation: String(operation), on: this.name });
                  return Promise.resolve(undefined);
                },
        },
      );
    const names = ['workloads', 'logs', 'events', 'rollouts', 'lock', 'jobs', 'dependencies', 'dump'];
    return { port: Object.fromEntries(names.map((n) => [n, portOf(n)])) as unknown as KubernetesPort, calls };
  }

  it('holds, at run time, only the ports and operations the step declares', () => {
    // Prepare
    const { port } = recordingPort();

    // Act
    const views = KUBERNETES_STEPS.filter((step) => step !== 'intake').map((step) => ({
      step,
      view: stepKubernetes(step as Exclude<typeof step, 'intake'>, port) as unknown as Record<
        string,
        Record<string, unknown>
      >,
    }));

    // Assess
    for (const { step, view } of views) {
      const declared = STEP_PORTS[step] as Record<string, readonly string[]>;
      expect(Object.keys(view).sort()).toEqual(Object.keys(declared).sort());
      for (const [name, operations] of Object.entries(declared)) {
        expect(Object.keys(view[name]).sort()).toEqual([...operations].sort());
      }
      expect(Object.isFrozen(view)).toBe(true);
    }
    const restart = views.find((v) => v.step === 'restart')!.view;
    expect(restart.jobs).toBeUndefined();
    expect(restart.rollouts.rolloutUndo).toBeUndefined();
  });

  it("calls the real port's operation, on the port it belongs to", async () => {
    // Prepare
    const { port, calls } = recordingPort();
    const restart = stepKubernetes('restart', port);

    // Act
    await restart.rollouts.rolloutRestart({ namespace: 'ns', kind: 'Deployment', name: 'api' }, new Date(0));
    await restart.lock.getLease('ns', 'lock');

    // Assess
    expect(calls).toEqual([
      { operation: 'rolloutRestart', on: 'rollouts' },
      { operation: 'getLease', on: 'lock' },
    ]);
  });
});

/**
 * Never called: what the type checker (`npm run typecheck`) must refuse. Each `@ts-expect-error`
 * fails the type check if the line it marks ever compiles.
 */
export function refusedByTheTypeChecker(port: KubernetesPort): void {
  const restart: StepKubernetes<'restart'> = port;
  // @ts-expect-error restart declares no jobs port
  void restart.jobs;
  // @ts-expect-error restart declares no dump lister
  void restart.dump;
  // @ts-expect-error restart's rollouts are restart only: no undo
  void restart.rollouts.rolloutUndo;
  // @ts-expect-error restart's lock records and reads; it never takes or releases the lock
  void restart.lock.releaseLease;

  const verify: StepKubernetes<'verify'> = port;
  // @ts-expect-error verify reads rollout status; it never restarts
  void verify.rollouts.rolloutRestart;
  // @ts-expect-error verify reads no logs
  void verify.logs;

  const diagnose: StepKubernetes<'diagnose'> = port;
  // @ts-expect-error diagnose reads Jobs; it never creates them
  void diagnose.jobs.createJob;
  // @ts-expect-error only the cluster dump lists Secrets
  void diagnose.dump;

  const collectEvents: StepKubernetes<'collect-events'> = port;
  // @ts-expect-error collect-events has only the events port
  void collectEvents.workloads;
}
