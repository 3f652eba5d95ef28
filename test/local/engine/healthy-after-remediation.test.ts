import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { runIncident } from '../../../local/engine/run-incident';
import { app, namespace } from '../../../local/kube-sandbox/scenarios/runbook/case';
import { startSandbox } from '../../../local/kube-sandbox/sandbox';

/*
 * An alert about a workload a remediation already fixed (a restart before this execution, out of
 * band or by an earlier incident): healthy again, or its rollout still replacing the crashed
 * pods. The diagnosis sees nothing wrong now, so the flow reads its health before any write and
 * leaves it alone: healthy-no-action, never "escalated" because no rule explained a healthy pod.
 */

const TIME_SCALE = 200;
const NS = 'shop';
const TARGET = { namespace: NS, kind: 'Deployment' as const, name: 'cart' };

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NS });
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

/** `cart` crash-loops until a rollout restart, which the test performs before the alert arrives. */
async function afterRestart(secondsAfterRestart: number) {
  const sandbox = await startSandbox({
    scenario: {
      name: 'cart-restarted',
      description: 'cart crash-looped, was restarted, and recovers',
      examples: [],
      objects: () => [
        namespace(NS),
        app({
          namespace: NS,
          name: 'cart',
          image: 'registry.example.com/shop/cart:2.3.0',
          port: 8080,
          replicas: 2,
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
          behavior: {
            mode: 'crash',
            runSeconds: 3,
            recoverAfterRolloutRestart: true,
            logs: ['cart INFO starting', 'Error: connect ECONNREFUSED 10.100.7.7:5432'],
          },
        }),
      ],
    },
    // Moved by hand, a second at a time with the cluster settled after each: what the diagnosis
    // sees does not depend on how busy the machine is.
    clock: { mode: 'manual' },
  });
  const elapse = async (sandboxSeconds: number) => {
    for (let second = 0; second < sandboxSeconds; second++) {
      sandbox.clock.advance(1000);
      await sandbox.settle();
    }
  };
  try {
    const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    });
    await elapse(90);
    await kube.rollouts.rolloutRestart(TARGET, new Date(sandbox.clock.now()));
    await elapse(secondsAfterRestart);
    sandbox.requests.clear();
    const run = await runIncident({
      synthesized,
      input: {
        source: 'manual',
        target: TARGET,
        alert: {
          name: 'ServiceDown',
          severity: 'critical',
          summary: 'cart is down',
          startsAt: '2026-11-22T03:00:00Z',
        },
        options: { waitSeconds: 30, verifyTimeoutSeconds: 60 },
      },
      timeScale: TIME_SCALE,
      environment: {
        kube,
        aws,
        config: configSchema.parse({ clusterName: 'sandbox', allowedNamespaces: [NS] }),
        now: () => new Date(sandbox.clock.now()),
      },
    });
    const states = run.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
    const exited = (name: string) =>
      (
        run.events.find((e) => e.type === 'StateExited' && e.state.name === name) as
          { state: { output: Record<string, unknown> } } | undefined
      )?.state.output;
    const writes = sandbox.requests.writes().filter((w) => w.resource !== 'leases');
    return { states, exited, writes };
  } finally {
    await sandbox.stop();
  }
}

describe('an alert after a remediation already worked', () => {
  // Mid-rollout ("progressing") is pinned by the engine's and the health read's own tests without
  // a clock: through the whole flow on a scaled clock its outcome depended on how busy the machine was.
  it.each([['healthy again', 60, /cart is healthy now/]])(
    '%s: healthy-no-action, no write',
    async (_name, secondsAfterRestart, state) => {
      // Act
      const { states, exited, writes } = await afterRestart(secondsAfterRestart);

      // Assess
      const diagnostics = exited('Quick Diagnostics')!.diagnostics as {
        hypotheses: Array<{ ruleId: string; cause: string }>;
        remediation: { confident: boolean };
      };
      expect(diagnostics.hypotheses[0]).toMatchObject({ ruleId: 'healthy-now' });
      expect(diagnostics.hypotheses[0].cause).toMatch(state);
      expect(diagnostics.remediation.confident).toBe(true);
      expect(states).toContain('Notify No Action');
      expect(states).not.toContain('Guard');
      expect(states).not.toContain('Escalate');
      expect(states[states.length - 1]).toBe('Done');
      expect((exited('Report')!.report as { outcome: string }).outcome).toBe('healthy-no-action');
      expect(writes).toEqual([]);
    },
  );
});
