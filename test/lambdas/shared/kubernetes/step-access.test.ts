import type { KubernetesPort } from '../../../../lambdas/shared/kubernetes/kubernetes-port';
import {
  ALL_API_USAGE,
  KUBERNETES_STEPS,
  STEP_OPERATIONS,
  STEP_PORTS,
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
