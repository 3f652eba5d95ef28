import { ClientNodeKubernetes } from '../lambdas/shared/kubernetes/kubernetes-port';
import { localKubeConfig } from '../lambdas/shared/kubernetes/client';
import { configSchema } from '../lib/config';
import { synthesizeDefinitions, type SynthesizedDefinitions } from '../lib/synth';
import { startLocalAws, type LocalAws } from '../local/aws/local-aws';
import { runIncident, type EventLog } from '../local/engine/run-incident';
import { types } from '../local/kube-sandbox/runtime';
import { startSandbox } from '../local/kube-sandbox/sandbox';
import type { KubeObject, StoreEvent } from '../local/kube-sandbox/store';
import type { Figure, Section, Table } from './results-file';
import { medianAndRange, progress, summarize, unionLength, type Summary } from './stats';

/** Measured executions, after one warm-up execution that is not counted. */
const RUNS = 11;
const TIME_SCALE = 200;
/** The runbooks' wait between restart and verify (the execution input's default). */
const WAIT_SECONDS = 60;
const TARGET = { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' } as const;
const NAMESPACES = ['one-data-alldata', 'one-data-system', 'one-data-bisheng'];

interface FlowRun {
  /** ExecutionStarted → the restart's PATCH arriving at the API server. */
  alertToRestartMs: number;
  /** The same, less the Wait states entered before the PATCH (a dependency wait). */
  alertToRestartWorkMs: number;
  /** ExecutionStarted → ExecutionSucceeded. */
  totalMs: number;
  /** Wall time of every Wait state as configured (waitSeconds / time scale, per Wait entered). */
  waitsMs: number;
  /** The PATCH → the Deployment's status reporting the rollout complete. */
  rolloutMs: number;
  /** Total minus the union of the waits and the rollout. */
  overheadMs: number;
  waitsEntered: number;
  /** Wall time spent in each state (StateEntered → StateExited), summed over its entries. */
  byState: Map<string, number>;
}

/** kubectl rollout status's "successfully rolled out", read from a Deployment's status. */
function rolledOut(deployment: KubeObject): boolean {
  const spec = deployment.spec as { replicas?: number };
  const status = (deployment.status ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
  const replicas = spec.replicas ?? 1;
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= replicas &&
    (status.replicas ?? 0) <= (status.updatedReplicas ?? 0) &&
    (status.availableReplicas ?? 0) >= (status.updatedReplicas ?? 0)
  );
}

function timeByState(events: EventLog[]): Map<string, number> {
  const byState = new Map<string, number>();
  const entered = new Map<string, number>();
  for (const event of events) {
    if (event.type === 'StateEntered') entered.set(event.state.name, event.timestamp);
    if (event.type === 'StateExited') {
      const since = entered.get(event.state.name);
      if (since !== undefined)
        byState.set(event.state.name, (byState.get(event.state.name) ?? 0) + event.timestamp - since);
    }
  }
  return byState;
}

function timestampOf(events: EventLog[], type: string): number {
  const event = events.find((e) => e.type === type);
  if (!event) throw new Error(`the execution log has no ${type} event`);
  return event.timestamp;
}

async function runOnce(synthesized: SynthesizedDefinitions, aws: LocalAws): Promise<FlowRun> {
  const sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  try {
    await sandbox.settle();
    // The rollout is complete the moment the controllers write a status that says so; the
    // store tells us synchronously, so the time is exact, not a poll's.
    const generationAtStart =
      sandbox.store.get(types['deployments.apps'], TARGET.namespace, TARGET.name)?.metadata.generation ?? 0;
    let rolloutCompleteAt: number | undefined;
    const unsubscribe = sandbox.store.subscribe(({ object }: StoreEvent) => {
      if (rolloutCompleteAt !== undefined || object.kind !== 'Deployment') return;
      if (object.metadata.namespace !== TARGET.namespace || object.metadata.name !== TARGET.name) return;
      if ((object.metadata.generation ?? 0) > generationAtStart && rolledOut(object))
        rolloutCompleteAt = Date.now();
    });
    sandbox.requests.clear();

    const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    });
    const run = await runIncident({
      synthesized,
      input: {
        source: 'manual',
        target: TARGET,
        alert: {
          name: 'ServiceDown',
          severity: 'critical',
          summary: 'bench',
          startsAt: new Date().toISOString(),
        },
        options: { waitSeconds: WAIT_SECONDS, verifyTimeoutSeconds: 600 },
      },
      timeScale: TIME_SCALE,
      environment: {
        kube,
        aws,
        config: configSchema.parse({
          clusterName: 'sandbox',
          allowedNamespaces: NAMESPACES,
          kubeRequestTimeoutMs: 5000,
        }),
        now: () => new Date(sandbox.clock.now()),
      },
    });
    unsubscribe();

    const outcome = String((run.output as { report?: { outcome?: string } } | undefined)?.report?.outcome);
    if (run.status !== 'SUCCEEDED' || outcome !== 'recovered-by-restart') {
      throw new Error(`the benchmark flow did not recover by restart: ${run.status} ${outcome}`);
    }
    const started = timestampOf(run.events, 'ExecutionStarted');
    const ended = timestampOf(run.events, 'ExecutionSucceeded');
    const patch = sandbox.requests
      .all()
      .find(
        (r) =>
          r.verb === 'patch' &&
          r.resource === 'deployments' &&
          r.name === TARGET.name &&
          r.subresource === undefined,
      );
    if (!patch) throw new Error('no restart PATCH reached the sandbox');
    if (rolloutCompleteAt === undefined) throw new Error('the restart rollout never completed');
    const waitMs = (WAIT_SECONDS * 1000) / TIME_SCALE;
    // Every Wait state reads $.incident.options.waitSeconds: the wait after the restart, and the
    // wait for a dependency that is not ready yet before it (Wait For Dependency).
    const waits = run.events
      .filter((e) => e.type === 'StateEntered' && e.state.type === 'Wait')
      .map((e) => [e.timestamp, e.timestamp + waitMs] as const);
    const waitsBeforeRestart = waits.filter(([start]) => start < patch.at);
    const totalMs = ended - started;
    return {
      alertToRestartMs: patch.at - started,
      alertToRestartWorkMs: patch.at - started - unionLength(waitsBeforeRestart),
      totalMs,
      waitsMs: waits.length * waitMs,
      rolloutMs: rolloutCompleteAt - patch.at,
      overheadMs: totalMs - unionLength([...waits, [patch.at, rolloutCompleteAt]]),
      waitsEntered: waits.length,
      byState: timeByState(run.events),
    };
  } finally {
    await sandbox.stop();
  }
}

function figure(name: string, summary: Summary, note: string): Figure {
  return {
    name,
    value: summary.median,
    unit: 'ms',
    note,
    spread: { min: summary.min, max: summary.max, runs: summary.runs },
  };
}

/**
 * The whole IncidentResponse flow in local mode: the synthesized state machine run by
 * aws-local-stepfunctions, the steps in-process, Kubernetes on the sandbox (demo scenario,
 * alldata-api crash-looping until a rollout restart) and S3/SNS on fauxqs, all over HTTP.
 */
export async function benchIncidentFlow(): Promise<Section> {
  progress('flow', 'synthesizing the state machine');
  const synthesized = synthesizeDefinitions({
    clusterName: 'sandbox',
    allowedNamespaces: NAMESPACES.join(','),
  });
  const aws = await startLocalAws();
  const runs: FlowRun[] = [];
  try {
    progress('flow', 'warm-up execution (not counted)');
    await runOnce(synthesized, aws);
    for (let i = 1; i <= RUNS; i++) {
      const run = await runOnce(synthesized, aws);
      runs.push(run);
      progress(
        'flow',
        `run ${i}/${RUNS}: alert→restart ${run.alertToRestartMs.toFixed(0)} ms, total ${run.totalMs.toFixed(0)} ms, overhead ${run.overheadMs.toFixed(0)} ms`,
      );
    }
  } finally {
    await aws.stop();
  }
  const of = (pick: (run: FlowRun) => number) => summarize(runs.map(pick));
  const waitsEntered = [...new Set(runs.map((r) => r.waitsEntered))].join(' or ');
  const states = [...new Set(runs.flatMap((r) => [...r.byState.keys()]))];
  const byState: Table = {
    columns: ['state', 'wall time ms: median (min–max)'],
    rows: states.map((state) => [
      state,
      medianAndRange(summarize(runs.map((r) => r.byState.get(state) ?? 0)), 0),
    ]),
  };
  return {
    title: 'Incident flow, local mode',
    setup:
      `\`npm run bench\`: the synthesized IncidentResponse state machine run by aws-local-stepfunctions, ` +
      `the steps in-process, the Kubernetes sandbox (demo scenario, clock ×${TIME_SCALE}) and fauxqs over HTTP ` +
      `on loopback. Target ${TARGET.namespace}/${TARGET.name}, which a rollout restart recovers; ` +
      `waitSeconds ${WAIT_SECONDS} (${(WAIT_SECONDS * 1000) / TIME_SCALE} ms of wall time at ×${TIME_SCALE}). ` +
      `${RUNS} executions after one warm-up, each on a fresh sandbox; median (min–max).`,
    figures: [
      figure(
        'alert received → restart request at the cluster',
        of((r) => r.alertToRestartMs),
        'ExecutionStarted → the sandbox receiving the PATCH of the Deployment (request log `at`): Open Incident, Quick Diagnostics beside Collect Events, the dependency check (and its wait), Guard (Lease), Restart',
      ),
      figure(
        'the same, less the waits before the restart',
        of((r) => r.alertToRestartWorkMs),
        'the Wait states entered before the PATCH taken out: the work of the steps and the engine',
      ),
      figure(
        'orchestration overhead of the whole flow',
        of((r) => r.overheadMs),
        'total minus the time covered by the configured Wait states or by the rollout itself (their union)',
      ),
      figure(
        'total execution',
        of((r) => r.totalMs),
        `ExecutionStarted → ExecutionSucceeded`,
      ),
      figure(
        'configured waits',
        of((r) => r.waitsMs),
        `${waitsEntered} Wait state(s) entered (Wait For Dependency and Wait) × ${(WAIT_SECONDS * 1000) / TIME_SCALE} ms`,
      ),
      figure(
        'the rollout itself',
        of((r) => r.rolloutMs),
        'the PATCH → the Deployment status meeting kubectl rollout status (sandbox controllers, scaled clock)',
      ),
    ],
    tables: [byState],
    notes: [
      'Time per state is StateEntered → StateExited in the execution log, summed when a state is entered more ' +
        'than once; what the states do not account for is the engine between them.',
    ],
  };
}
