import type { StepEvent } from '../../../lambdas/shared/contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import type { IncidentStep } from '../../../lib/incident-response-stack';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { executeDefinition, type LocalExecution } from '../../../local/engine/execute-definition';
import { localStepHandlers, type StepHandler } from '../../../local/engine/local-steps';
import { BEHAVIOR_ANNOTATION } from '../../../local/kube-sandbox/behavior';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { eventually } from '../../support/polling';

/**
 * These flows exercise automatic remediation: rollbacks too run without asking (the default
 * policy asks a human before a rollback; test/local/engine/approval-flow.test.ts covers that).
 */
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

/*
 * The decision follows the diagnosis, through the synthesized state machine on the local
 * engine against the sandbox (demo scenario) over HTTP: no restart when the cause says a
 * restart cannot help, a direct rollback for a bad release, and no write at all for a
 * workload that is healthy by the time the flow would write.
 */

const TIME_SCALE = 200;
const NAMESPACES = ['one-data-alldata', 'one-data-system', 'one-data-bisheng'];
const ALLDATA = { namespace: 'one-data-alldata', name: 'alldata-api' };
const AGENT = { namespace: 'one-data-system', name: 'agent-api' };
const BISHENG = { namespace: 'one-data-bisheng', name: 'bisheng-api' };

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NAMESPACES.join(',') });
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  await receiveNotifications(aws);
});

afterEach(async () => {
  await sandbox.stop();
});

function input(target: { namespace: string; name: string }): unknown {
  return {
    source: 'manual',
    target: { ...target, kind: 'Deployment' },
    alert: { name: 'ServiceDown', severity: 'critical', summary: 'test', startsAt: '2026-11-22T03:00:00Z' },
    options: { waitSeconds: 60, verifyTimeoutSeconds: 300 },
  };
}

type Wrap = Partial<Record<IncidentStep, (event: StepEvent, step: StepHandler) => Promise<unknown>>>;

/**
 * Runs the synthesized definition as `runIncident` does, with the deployed step logic; `wrap`
 * lets a test act around a step (change the cluster out of band while the flow runs).
 */
async function run(
  executionInput: unknown,
  wrap: Wrap = {},
  rulesFile?: { path: string; text: string },
): Promise<LocalExecution> {
  const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
    requestTimeoutMs: 3000,
  });
  const steps = localStepHandlers({
    kube,
    aws,
    config: {
      ...configSchema.parse({
        clusterName: 'sandbox',
        allowedNamespaces: NAMESPACES,
        remediationPolicy: AUTO,
      }),
      rulesFile,
    },
    now: () => new Date(sandbox.clock.now()),
  });
  const functions = new Map(
    Object.entries(synthesized.placeholders.functions).map(([name, arn]) => {
      const step = steps[name as IncidentStep];
      const around = wrap[name as IncidentStep];
      return [arn, (event: StepEvent) => (around ? around(event, step) : step(event))];
    }),
  );
  return executeDefinition({
    definition: synthesized.incidentResponse,
    stateMachineName: 'IncidentResponse',
    region: synthesized.placeholders.region,
    account: synthesized.placeholders.account,
    functions: functions as never,
    sns: { client: aws.sns, topicArn: aws.topicArn },
    input: executionInput,
    waitSeconds: 60,
    timeScale: TIME_SCALE,
  });
}

function entered(result: LocalExecution): string[] {
  return result.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
}

/** The state document at the end, also of an execution that ended in a Fail state. */
function finalState(result: LocalExecution): Record<string, Record<string, unknown>> {
  if (result.output) return result.output as Record<string, Record<string, unknown>>;
  const last = [...result.events].reverse().find((e) => e.type === 'StateEntered');
  return (last as { state: { input: Record<string, Record<string, unknown>> } }).state.input;
}

function deploymentOf(target: { namespace: string; name: string }): KubeObject {
  return sandbox.store.get(types['deployments.apps'], target.namespace, target.name)!;
}

describe('the decision follows the diagnosis (synthesized state machine, sandbox)', () => {
  test('no restart when the cause says a restart cannot help: escalated at once with the fix, no write at all', async () => {
    // Prepare
    await untilOomKilled(BISHENG);
    sandbox.requests.clear();

    // Act
    const result = await run(input(BISHENG));

    // Assess
    const states = entered(result);
    expect(states).not.toContain('Guard');
    expect(states).not.toContain('Restart');
    expect(states).not.toContain('Rollback');
    expect(states.slice(4, 8)).toEqual(['Collect Events', 'Assessed?', 'Diagnosis Calls For?', 'Escalate']);
    expect(finalState(result).diagnostics.remediation).toMatchObject({ action: 'none', confident: true });
    expect(result.error?.Error).toBe('IncidentEscalated');
    expect(sandbox.requests.writes()).toEqual([]);
    const escalation = finalState(result).escalation as { why: string };
    expect(escalation.why).toMatch(
      /^No automatic action: the diagnosis says a restart or rollback cannot help/,
    );
    const page = (await receiveNotifications(aws)).find(
      (n) => n.MessageAttributes?.stage?.Value === 'escalated',
    );
    expect(page?.Message).toContain('Decision: no automatic action');
    expect(page?.Message).toContain('Nothing in the cluster was changed.');
  });

  test('a bad release is rolled back directly, without a restart first, and recovers', async () => {
    // Prepare
    const healthyImage = (
      sandbox.store
        .list(types['replicasets.apps'], AGENT.namespace)
        .find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')!.spec as {
        template: { spec: { containers: Array<{ image: string }> } };
      }
    ).template.spec.containers[0].image;

    // Act
    const result = await run(input(AGENT));

    // Assess
    const states = entered(result);
    expect(result.status).toBe('SUCCEEDED');
    expect(states).not.toContain('Restart');
    expect(states.slice(6, 12)).toEqual([
      'Diagnosis Calls For?',
      'Health Before Rollback',
      'Healthy Before Rollback?',
      'Guard',
      'Remediation Allowed?',
      'Rollback',
    ]);
    const state = finalState(result);
    expect(state.diagnostics.remediation).toMatchObject({ action: 'rollback', confident: true });
    expect(state.report.outcome).toBe('recovered-by-rollback');
    expect(state.rollback).toMatchObject({ toRevision: 1, skipped: false });
    const template = (
      deploymentOf(AGENT).spec as { template: { spec: { containers: Array<{ image: string }> } } }
    ).template;
    expect(template.spec.containers[0].image).toBe(healthyImage);
    expect(
      sandbox.requests
        .writes()
        .filter((w) => w.resource === 'deployments')
        .map((w) => w.verb),
    ).toEqual(['patch']);
  });

  test('a workload healthy by the time the flow reaches Restart is not touched: no write at all', async () => {
    // Prepare: while the flow collects events, a human ships the fix (out of band, not over
    // the API the flow uses) and the new revision becomes ready before the flow would restart.
    await sandbox.settle();
    sandbox.requests.clear();
    const healed = async (event: StepEvent, step: StepHandler) => {
      const result = await step(event);
      const deployment = structuredClone(deploymentOf(ALLDATA));
      const template = (
        deployment.spec as { template: { metadata: { annotations: Record<string, string> } } }
      ).template;
      template.metadata.annotations[BEHAVIOR_ANNOTATION] = JSON.stringify({ app: { mode: 'healthy' } });
      sandbox.store.update(types['deployments.apps'], deployment);
      await waitUntilHealthy(ALLDATA);
      return result;
    };

    // Act
    const result = await run(input(ALLDATA), { 'collect-events': healed });

    // Assess
    const states = entered(result);
    expect(result.status).toBe('SUCCEEDED');
    expect(states).toEqual(
      expect.arrayContaining(['Health Before Restart', 'Healthy Before Restart?', 'Notify No Action']),
    );
    expect(states).not.toContain('Guard');
    expect(states).not.toContain('Restart');
    expect(sandbox.requests.writes()).toEqual([]);
    const state = finalState(result);
    expect(state.health).toMatchObject({ healthy: true, before: 'restart' });
    expect(String(state.health.detail)).toMatch(/^healthy at action time; no action/);
    expect(state.report.outcome).toBe('healthy-no-action');
    const notifications = await receiveNotifications(aws);
    expect(notifications.map((n) => n.MessageAttributes?.stage?.Value)).toEqual(['opened', 'no-action']);
    expect(notifications[1].Message).toContain('Healthy at action time; no action');
  });

  test('a user rule file overrides a built-in rule: its cause, fix and remediation decide', async () => {
    // Prepare: the team's own take on OOMKilled bisheng-api: a known leak a restart clears.
    const rulesFile = {
      path: 'team-rules.yaml',
      text: [
        'rules:',
        '  - id: oom-killed',
        '    when: [{ termination: { reason: OOMKilled } }]',
        '    cause: "{workload} leaks memory in its embedding cache (known issue BISHENG-412)"',
        '    fix: "Restart {workload} in {namespace}; the cache fix ships in bisheng 2.2"',
        '    remediation: restart',
        '    confidence: 0.95',
      ].join('\n'),
    };

    // Act
    await untilOomKilled(BISHENG);
    const result = await run(input(BISHENG), {}, rulesFile);

    // Assess
    const state = finalState(result);
    const top = (state.diagnostics.hypotheses as Array<{ ruleId: string; cause: string; fix: string }>)[0];
    expect(top).toMatchObject({
      ruleId: 'oom-killed',
      cause: 'bisheng-api leaks memory in its embedding cache (known issue BISHENG-412)',
      fix: 'Restart bisheng-api in one-data-bisheng; the cache fix ships in bisheng 2.2',
    });
    expect(state.diagnostics.remediation).toMatchObject({ action: 'restart', confident: true });
    expect(entered(result)).toContain('Restart');
  });
});

/** Until every pod of the workload's new revision is ready and its old pods are gone (sandbox time passes). */
async function waitUntilHealthy(target: { namespace: string; name: string }): Promise<void> {
  const healthy = () => {
    const d = deploymentOf(target);
    const spec = d.spec as { replicas: number };
    const status = (d.status ?? {}) as {
      availableReplicas?: number;
      updatedReplicas?: number;
      replicas?: number;
    };
    return (
      d.metadata.generation ===
        (d.status as { observedGeneration?: number } | undefined)?.observedGeneration &&
      status.updatedReplicas === spec.replicas &&
      status.availableReplicas === spec.replicas &&
      status.replicas === spec.replicas
    );
  };
  await eventually(`${target.namespace}/${target.name} to become healthy`, healthy, {
    timeoutMs: 4000,
    intervalMs: 20,
  });
}

/** Until a pod of the workload has been OOMKilled at least once (its evidence exists). */
async function untilOomKilled(target: { namespace: string; name: string }): Promise<void> {
  const killed = () =>
    sandbox.store
      .list(types.pods, target.namespace)
      .some((pod) =>
        (
          (pod.status as { containerStatuses?: Array<{ lastState?: { terminated?: { reason?: string } } }> })
            ?.containerStatuses ?? []
        ).some((c) => c.lastState?.terminated?.reason === 'OOMKilled'),
      );
  await eventually(`${target.namespace}/${target.name} to be OOMKilled`, killed, {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}
