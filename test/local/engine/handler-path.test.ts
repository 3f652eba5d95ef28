import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { allStates } from '../../../local/engine/execute-definition';
import type { LocalStepEnvironment } from '../../../local/engine/local-steps';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { startLocalAws, type LocalAws } from '../../support/aws';
import { deployment, namespace } from '../../support/manifests';
import { manualSandbox } from '../../support/sandbox';

/*
 * One handler path: the local engine runs the handler modules Lambda runs (lambdas/<folder>/handler.ts,
 * through createHandler and observedHandler), built from the environment the stack gives each
 * function. What shows it: every Lambda Task of an execution writes observedHandler's line, keyed
 * by its state, to the environment's function output; and the handlers of one local environment
 * (their per-container clients, clock and logger) never serve another's execution.
 */

const NS = 'shop';

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NS });
  aws = await startLocalAws();
  sandbox = await manualSandbox([namespace(NS), deployment(NS, 'cart')]);
});

afterAll(async () => {
  await sandbox.stop();
  await aws.stop();
});

interface LogLine {
  message?: string;
  step?: string;
  execution_name?: string;
  _aws?: unknown;
}

function environment(lines: LogLine[]): LocalStepEnvironment {
  return {
    kube: new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    }),
    aws,
    config: configSchema.parse({ clusterName: 'sandbox', allowedNamespaces: [NS] }),
    now: () => new Date(sandbox.clock.now()),
    functionOutput: (line) => lines.push(JSON.parse(line) as LogLine),
  };
}

function dryRun(executionName: string, env: LocalStepEnvironment): Promise<IncidentRun> {
  return runIncident({
    synthesized,
    executionName,
    input: {
      source: 'manual',
      target: { namespace: NS, kind: 'Deployment', name: 'cart' },
      alert: { name: 'ServiceDown', severity: 'critical', startsAt: '2026-03-01T11:58:00Z' },
      options: { dryRun: true },
    },
    environment: env,
  });
}

/** The Lambda Task states the execution entered, in order. */
function lambdaTasksEntered(run: IncidentRun): string[] {
  const functions = new Set(Object.values(synthesized.placeholders.functions));
  // The Parallel's branch states included.
  const states = new Map(allStates(synthesized.incidentResponse as never));
  const isLambda = (name: string) => {
    const state = states.get(name)!;
    const parameters = state.Parameters as { FunctionName?: string } | undefined;
    return functions.has(parameters?.FunctionName ?? String(state.Resource));
  };
  return run.events.flatMap((e) =>
    e.type === 'StateEntered' && isLambda(e.state.name) ? [e.state.name] : [],
  );
}

describe('the local engine runs the deployed handler modules', () => {
  it("logs observedHandler's line for every Lambda Task, and the diagnosis and report publish their metrics", async () => {
    // Prepare
    const lines: LogLine[] = [];

    // Act
    const run = await dryRun('handler-path-one', environment(lines));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    const tasks = lambdaTasksEntered(run);
    expect(tasks).toEqual(expect.arrayContaining(['Open Incident', 'Quick Diagnostics', 'Report']));
    const finished = lines.filter((line) => line.message === 'step finished');
    // One line per Task entered, in the order they were entered, except that the Assess
    // Parallel's two branches run side by side and may finish in either order.
    const finishedSteps = finished.map((line) => line.step as string);
    expect([...finishedSteps].sort()).toEqual([...tasks].sort());
    const assessBranches = new Set(['Quick Diagnostics', 'Collect Events']);
    const inOrder = (steps: string[]) => steps.map((step) => (assessBranches.has(step) ? 'Assess' : step));
    expect(inOrder(finishedSteps)).toEqual(inOrder(tasks));
    expect(finished.every((line) => line.execution_name === 'handler-path-one')).toBe(true);
    // EMF documents: rule hits from Quick Diagnostics, the incident's outcome from Report.
    const metricNames = lines
      .filter((line) => line._aws)
      .flatMap(
        (line) =>
          (line._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics,
      )
      .flatMap((directive) => directive.Metrics.map((metric) => metric.Name));
    expect(metricNames).toEqual(expect.arrayContaining(['TopCause', 'Incidents']));
  });

  it("keeps each local environment's handlers to its own executions", async () => {
    // Prepare
    const first: LogLine[] = [];
    const second: LogLine[] = [];

    // Act: two environments at once, as two sandboxes in one jest file would run.
    await Promise.all([
      dryRun('handler-path-a', environment(first)),
      dryRun('handler-path-b', environment(second)),
    ]);

    // Assess
    const executions = (lines: LogLine[]) => [...new Set(lines.flatMap((line) => line.execution_name ?? []))];
    expect(executions(first)).toEqual(['handler-path-a']);
    expect(executions(second)).toEqual(['handler-path-b']);
  });
});
