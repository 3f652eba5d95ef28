import type { V1ContainerStatus, V1Node, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import {
  workloadTarget,
  type Diagnostics,
  type PodSummary,
  type StepEvent,
  type Target,
} from '../shared/contracts';
import { allInOrder, mapLimited } from '../shared/concurrency';
import { KubernetesRequestError } from '../shared/errors';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { evidenceKeys } from '../shared/evidence/layout';
import type { Workload, WorkloadRevision } from '../shared/kubernetes/ports/workload-reader';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import type { DiagnosisEvidence } from '../shared/diagnosis/evidence';
import { signalName } from '../shared/diagnosis/exit-codes';
import { redactObject } from '../shared/redact';
import { diagnoseEvidence } from '../shared/rules/diagnose-cause';
import type { Rule } from '../shared/rules/rule-schema';
import { readBatchTarget } from './batch-target';
import {
  checkReferences,
  conditionsOf,
  containersOf,
  dependencyHosts,
  eventsOf,
  referencesOf,
  resolveDependencies,
  revisionOfPod,
  unaddressedTechnologies,
  revisionsOf,
  servicesOf,
} from './gather';

export interface DiagnoseDeps {
  kube: StepKubernetes<'diagnose'>;
  evidence: EvidenceStore;
  /** LOG_TAIL_LINES: lines of each container log kept. */
  tailLines: number;
  /** LOG_LIMIT_BYTES: bytes of each container log kept. */
  limitBytes: number;
  now: () => Date;
  /** The rules in force: built-ins merged with the user's file (loadRules). @default the built-in rules */
  rules?: readonly Rule[];
}

/**
 * Logs are read for this many pods, unhealthy ones first: enough to see the failure, few
 * enough that a 100-replica Deployment does not turn diagnostics into a log dump.
 */
const PODS_WITH_LOGS = 5;
/** Pods summarized in the state document (Step Functions caps it at 256 KB); diagnostics.json has all. */
const PODS_IN_RESULT = 30;
/** Hypotheses in the state document; diagnostics.json has all. */
const HYPOTHESES_IN_RESULT = 5;

function workloadSummary(workload: Workload, revision: number, previousRevision: number | undefined) {
  const meta = workload.object.metadata ?? {};
  const base = {
    kind: workload.kind,
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    revision,
    ...(previousRevision !== undefined ? { previousRevision } : {}),
  };
  const conditions = (workload.object.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  }));
  switch (workload.kind) {
    case 'Deployment':
    case 'StatefulSet': {
      const { spec, status } = workload.object;
      return {
        ...base,
        replicas: spec?.replicas ?? 1,
        readyReplicas: status?.readyReplicas ?? 0,
        updatedReplicas: status?.updatedReplicas ?? 0,
        availableReplicas: status?.availableReplicas ?? 0,
        // Only Deployments can be paused; a StatefulSet's spec has no such field.
        paused: workload.kind === 'Deployment' ? (workload.object.spec?.paused ?? false) : false,
        conditions,
      };
    }
    case 'DaemonSet': {
      const { status } = workload.object;
      return {
        ...base,
        replicas: status?.desiredNumberScheduled ?? 0,
        readyReplicas: status?.numberReady ?? 0,
        updatedReplicas: status?.updatedNumberScheduled ?? 0,
        availableReplicas: status?.numberAvailable ?? 0,
        paused: false,
        conditions,
      };
    }
  }
}

function containerState(status: V1ContainerStatus): { state: string; reason?: string } {
  if (status.state?.running) return { state: 'running' };
  if (status.state?.terminated) return { state: 'terminated', reason: status.state.terminated.reason };
  if (status.state?.waiting) return { state: 'waiting', reason: status.state.waiting.reason };
  return { state: 'unknown' };
}

/** The termination that explains a restart: the current one if the container is down, else the last. */
function lastTermination(status: V1ContainerStatus) {
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  if (!terminated) return undefined;
  const signal = signalName(terminated.signal, terminated.exitCode);
  return {
    ...(terminated.reason ? { reason: terminated.reason } : {}),
    exitCode: terminated.exitCode,
    ...(signal ? { signal } : {}),
    ...(terminated.finishedAt ? { finishedAt: new Date(terminated.finishedAt).toISOString() } : {}),
  };
}

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function restartsOf(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, s) => sum + s.restartCount, 0);
}

function podSummary(pod: V1Pod): PodSummary {
  // App containers first (what a responder looks at), then the init containers the pod waits on.
  const statuses = [
    ...(pod.status?.containerStatuses ?? []).map((s) => ({ s, init: false })),
    ...(pod.status?.initContainerStatuses ?? []).map((s) => ({ s, init: true })),
  ];
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: isReady(pod),
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    restarts: restartsOf(pod),
    containers: statuses.map(({ s, init }) => {
      const { state, reason } = containerState(s);
      const termination = lastTermination(s);
      return {
        name: s.name,
        ...(init ? { init } : {}),
        ready: s.ready,
        restartCount: s.restartCount,
        state,
        ...(reason ? { reason } : {}),
        ...(termination ? { lastTermination: termination } : {}),
      };
    }),
  };
}

function nodeSummary(node: V1Node) {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status }));
  return {
    name: node.metadata?.name ?? '',
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    conditions,
  };
}

/** The rollback target: the highest revision below the current one. */
function previousOf(revisions: WorkloadRevision[], current: number): number | undefined {
  const earlier = revisions.map((r) => r.revision).filter((r) => r < current);
  return earlier.length ? Math.max(...earlier) : undefined;
}

interface LogText {
  pod: string;
  container: string;
  previous: boolean;
  init: boolean;
  text: string;
}

/**
 * A container that has not started has no log yet, and one that never restarted has no
 * previous log: the API answers 400 for both, which is no evidence of anything.
 */
async function readLogIfAny(read: () => Promise<string>): Promise<string | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof KubernetesRequestError && error.status === 400) return undefined;
    throw error;
  }
}

/**
 * Logs read (and then written to S3) at once: enough to overlap their round trips, few enough for
 * a busy API server.
 */
const LOGS_AT_ONCE = 4;

interface LogRead {
  pod: V1Pod;
  container: string;
  previous: boolean;
  init: boolean;
}

/** The logs worth reading, in evidence order: each container's current log, then its previous one. */
function logReads(pods: V1Pod[]): LogRead[] {
  const reads: LogRead[] = [];
  for (const pod of pods.slice(0, PODS_WITH_LOGS)) {
    const statuses = [
      ...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
      ...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false })),
    ];
    for (const { status, init } of statuses) {
      // A healthy init container that finished long ago has nothing to say about the incident.
      if (init && status.state?.terminated?.exitCode === 0 && status.restartCount === 0) continue;
      const started = !status.state?.waiting || status.restartCount > 0;
      if (started) reads.push({ pod, container: status.name, previous: false, init });
      if (status.restartCount > 0 || status.lastState?.terminated)
        reads.push({ pod, container: status.name, previous: true, init });
    }
  }
  return reads;
}

async function collectLogs(pods: V1Pod[], deps: DiagnoseDeps): Promise<LogText[]> {
  const options = { tailLines: deps.tailLines, limitBytes: deps.limitBytes };
  const texts = await mapLimited(logReads(pods), LOGS_AT_ONCE, async (read) => {
    const namespace = read.pod.metadata?.namespace ?? '';
    const name = read.pod.metadata?.name ?? '';
    const text = await readLogIfAny(() =>
      deps.kube.logs.readLog(namespace, name, read.container, {
        ...options,
        ...(read.previous ? { previous: true } : {}),
      }),
    );
    return text === undefined
      ? []
      : [{ pod: name, container: read.container, previous: read.previous, init: read.init, text }];
  });
  return texts.flat();
}

interface TargetRead {
  summary: Diagnostics['workload'];
  revisions: WorkloadRevision[];
  pods: V1Pod[];
  template?: V1PodSpec;
  facts?: DiagnosisEvidence['workload'];
}

/** The workload, its revisions and pods; a Job or CronJob through its (latest failed) Job. */
async function readTarget(target: Target, kube: StepKubernetes<'diagnose'>): Promise<TargetRead> {
  if (target.kind === 'Job' || target.kind === 'CronJob') {
    const batch = await readBatchTarget(target, kube);
    return { ...batch, revisions: [] };
  }
  const [workload, revisions] = await allInOrder([
    kube.workloads.getWorkload(target),
    kube.workloads.revisions(target),
  ]);
  const revision =
    revisions.find((r) => r.current)?.revision ?? Math.max(0, ...revisions.map((r) => r.revision));
  const pods = await kube.workloads.listPods(target.namespace, workload.object.spec?.selector ?? {});
  const summary = workloadSummary(workload, revision, previousOf(revisions, revision));
  return {
    summary,
    revisions,
    pods,
    ...(workload.object.spec?.template?.spec ? { template: workload.object.spec.template.spec } : {}),
    facts: { replicas: summary.replicas, readyReplicas: summary.readyReplicas },
  };
}

/**
 * Quick Diagnostics: what `kubectl get`, `describe`, `logs` and `logs --previous` would show
 * a responder, plus the runbook's probable cause. Writes diagnostics.json and the logs
 * (redacted) and returns the summary the rest of the flow decides on.
 */
export async function diagnose(event: StepEvent, deps: DiagnoseDeps): Promise<Diagnostics> {
  const { incident } = event.state;
  const { evidencePrefix: prefix } = incident;
  const target = workloadTarget(incident.target);
  // Reads that do not need each other's answers go side by side (lambdas/shared/concurrency.ts):
  // the workload with its pods, and the objects its events are about.
  const [subject, eventSubjects] = await allInOrder([
    readTarget(target, deps.kube),
    deps.kube.events.eventSubjects(target),
  ]);
  const { revisions, pods } = subject;
  // Unhealthy pods first, most restarted first: their logs are the evidence.
  const ordered = [...pods].sort(
    (a, b) => Number(isReady(a)) - Number(isReady(b)) || restartsOf(b) - restartsOf(a),
  );
  const nodeNames = [...new Set(ordered.map((p) => p.spec?.nodeName).filter((n): n is string => !!n))];
  // Then what the pods lead to: their logs, nodes, events and Services.
  const [logs, nodeObjects, eventList, services] = await allInOrder([
    collectLogs(ordered, deps),
    deps.kube.workloads.getNodes(nodeNames),
    deps.kube.events.listEvents(target.namespace, eventSubjects),
    servicesOf(deps.kube, target.namespace, ordered),
  ]);
  const nodes = nodeObjects.map(nodeSummary);
  const revisionOf = (pod: V1Pod) => revisionOfPod(pod, revisions, target.name);
  const containers = containersOf(ordered, revisionOf);
  const events = eventsOf(eventList);
  const logEvidence = logs.map((l) => ({ ...l }));
  // Last, what the evidence names: the references the kubelet reported on, the dependencies the logs do.
  const [references, dependencies] = await allInOrder([
    checkReferences(
      deps.kube,
      target.namespace,
      referencesOf(subject.template, `${target.kind} ${target.name}`),
      [...containers.flatMap((c) => c.waitingMessage ?? []), ...events.map((e) => e.message)],
    ),
    resolveDependencies(
      deps.kube,
      target.namespace,
      dependencyHosts(logEvidence, containers),
      target.name,
      unaddressedTechnologies(logEvidence),
    ),
  ]);
  const evidence: DiagnosisEvidence = {
    target: { namespace: target.namespace, kind: target.kind, name: target.name },
    containers,
    logs: logEvidence,
    events,
    conditions: conditionsOf(ordered, nodeObjects),
    revisions: revisionsOf(revisions, ordered, revisionOf),
    references,
    dependencies,
    services,
    ...(subject.facts ? { workload: subject.facts } : {}),
  };
  const { hypotheses, remediation, probableCause } = diagnoseEvidence(evidence, deps.rules);

  // The logs first, so that diagnostics.json never names a log that is not there.
  const logKeys = await mapLimited(logs, LOGS_AT_ONCE, async (log) => {
    const key = evidenceKeys.log(prefix, log.pod, log.container, log.previous);
    await deps.evidence.putText(key, log.text);
    return key;
  });
  const diagnosticsKey = evidenceKeys.diagnostics(prefix);
  const summaries = ordered.map(podSummary);
  const diagnostics: Diagnostics = {
    workload: subject.summary,
    pods: summaries.slice(0, PODS_IN_RESULT),
    nodes,
    ...(probableCause ? { probableCause } : {}),
    hypotheses: hypotheses.slice(0, HYPOTHESES_IN_RESULT),
    remediation,
    evidence: { diagnostics: diagnosticsKey, logs: logKeys },
  };
  await deps.evidence.putJson(diagnosticsKey, {
    collectedAt: deps.now().toISOString(),
    target,
    ...diagnostics,
    pods: summaries,
    hypotheses,
    // Everything the rules saw, so `rules test` can replay a rule change against this incident.
    ruleEvidence: evidence,
    history: revisions.map((r) => ({
      revision: r.revision,
      current: r.current,
      createdAt: r.createdAt,
      changeCause: r.changeCause,
      images: (r.template.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`),
    })),
  });
  return redactObject(diagnostics);
}
