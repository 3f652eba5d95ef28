import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import {
  workloadTarget,
  type DependencyWait,
  type HealthCheck,
  type StepEvent,
  type Verification,
} from '../shared/contracts';
import { ConfigurationError } from '../shared/errors';
import { cleanProgress } from './progress';
import { verify, type VerifyDeps } from './verify';

/**
 * The verify λ serves three states: `Verify` (after a remediation), `Health Before Restart` /
 * `Health Before Rollback` (`params.check: health`, right before a write) and `Check Dependency`
 * (`params.check: dependency`, the wait-for-dependency loop). All three only read.
 */
export async function verifyStep(
  event: StepEvent,
  deps: VerifyDeps,
): Promise<Verification | HealthCheck | DependencyWait> {
  const check = event.params?.check;
  if (check === undefined) return verify(event, deps);
  if (check === 'health') return healthBeforeWrite(event, deps);
  if (check === 'dependency') return checkDependency(event, deps);
  throw new ConfigurationError(
    `verify: unknown check "${String(check)}" (expected "health" or "dependency")`,
  );
}

/** The last time a container of the pod stopped, with what stopped it. */
function lastStops(pod: V1Pod): Array<{ container: string; at: number; reason: string; restarts: number }> {
  const statuses: V1ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  return statuses.flatMap((s) => {
    const finished = s.lastState?.terminated?.finishedAt;
    if (!finished) return [];
    const { reason, exitCode } = s.lastState!.terminated!;
    return [
      {
        container: s.name,
        at: new Date(finished).getTime(),
        reason: `${reason ?? 'terminated'}, exit code ${exitCode}`,
        restarts: s.restartCount,
      },
    ];
  });
}

/**
 * Health Before Restart / Rollback: the target read again right before the write. Healthy is
 * what `kubectl rollout status` calls complete, every pod of the current revision ready, and
 * no container restarted within the incident's wait (the time the flow itself gives a restart
 * to prove itself): a workload that recovered on its own, or whose alert is stale, is healthy
 * now and is not touched.
 */
export async function healthBeforeWrite(event: StepEvent, deps: VerifyDeps): Promise<HealthCheck> {
  const { incident } = event.state;
  const before = event.params?.before;
  if (before !== 'restart' && before !== 'rollback') {
    throw new ConfigurationError(
      `verify: health check before "${String(before)}" (expected restart or rollback)`,
    );
  }
  const target = workloadTarget(incident.target);
  const now = deps.now();
  const checkedAt = now.toISOString();
  if (target.kind === 'Job' || target.kind === 'CronJob') {
    const detail = await jobHealth({ ...target, kind: target.kind }, deps);
    return { healthy: detail.healthy, before, detail: detail.text, checkedAt };
  }
  const status = await deps.kube.rollouts.rolloutStatus(target);
  if (!status.failed && !status.done) {
    // A rollout under way (a restart that already happened, a release) whose new pods only start.
    const workload = await deps.kube.workloads.getWorkload(target);
    const pods = await deps.kube.workloads.listPods(target.namespace, workload.object.spec?.selector ?? {});
    if (cleanProgress(status, pods, now, incident.options.waitSeconds).clean) {
      return {
        healthy: true,
        before,
        detail: `healthy at action time; no action: the rollout to revision ${status.revision} is progressing (${status.message}) and its ${status.pods.total} pods start without a restart or a failure`,
        checkedAt,
      };
    }
  }
  const problems: string[] = [];
  if (status.failed || !status.done) problems.push(status.message);
  const { pods } = status;
  if (pods.ready < pods.total) {
    const notReady = pods.notReady.map((p) => `${p.name}: ${p.reason}`).join(', ');
    problems.push(`${pods.ready}/${pods.total} pods of revision ${status.revision} ready (${notReady})`);
  }
  if (!problems.length) {
    const workload = await deps.kube.workloads.getWorkload(target);
    const quietSince = now.getTime() - incident.options.waitSeconds * 1000;
    const recent = (
      await deps.kube.workloads.listPods(target.namespace, workload.object.spec?.selector ?? {})
    )
      .flatMap((pod) => lastStops(pod).map((stop) => ({ pod: pod.metadata?.name ?? '', ...stop })))
      .filter((stop) => stop.at > quietSince);
    for (const stop of recent) {
      problems.push(
        `${stop.pod}/${stop.container} restarted at ${new Date(stop.at).toISOString()} (${stop.reason}; ${stop.restarts} restarts)`,
      );
    }
  }
  const healthy = problems.length === 0;
  return {
    healthy,
    before,
    detail: healthy
      ? `healthy at action time; no action: ${status.message}; all ${pods.total} pods of revision ${status.revision} ready, no restart in the last ${incident.options.waitSeconds} s`
      : `not healthy: ${problems.join('; ')}`,
    checkedAt,
  };
}

/** A Job is healthy once it completed; a CronJob once its most recent Job did. */
async function jobHealth(
  target: { namespace: string; kind: 'Job' | 'CronJob'; name: string },
  deps: VerifyDeps,
): Promise<{ healthy: boolean; text: string }> {
  const complete = (job: V1Job) =>
    (job.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
  let job: V1Job | undefined;
  if (target.kind === 'Job') job = await deps.kube.jobs.getJob(target.namespace, target.name);
  else {
    const jobs = (await deps.kube.jobs.listJobs(target.namespace)).filter((j) =>
      (j.metadata?.ownerReferences ?? []).some((o) => o.kind === 'CronJob' && o.name === target.name),
    );
    job = jobs.sort(
      (a, b) =>
        Date.parse(String(b.metadata?.creationTimestamp)) - Date.parse(String(a.metadata?.creationTimestamp)),
    )[0];
  }
  const name = `Job ${target.namespace}/${job?.metadata?.name ?? target.name}`;
  if (job && complete(job)) {
    return { healthy: true, text: `healthy at action time; no action: ${name} completed` };
  }
  return {
    healthy: false,
    text: `not healthy: ${job ? `${name} has not completed` : `${target.kind} ${target.namespace}/${target.name} has no Job`}`,
  };
}

/**
 * Check Dependency: whether the Service the diagnosis waits for has ready endpoints. The loop
 * through `Wait For Dependency` is bounded like a verification: the first check plus
 * verifyTimeoutSeconds, after which the dependency counts as not coming back.
 */
export async function checkDependency(event: StepEvent, deps: VerifyDeps): Promise<DependencyWait> {
  const { incident, diagnostics, dependencyWait: previous } = event.state;
  const now = deps.now();
  const checkedAt = now.toISOString();
  const deadline =
    previous?.deadline ??
    new Date(now.getTime() + incident.options.verifyTimeoutSeconds * 1000).toISOString();
  const checks = (previous?.checks ?? 0) + 1;
  const dependency =
    diagnostics?.remediation?.dependency ??
    diagnostics?.hypotheses?.find((h) => h.dependency)?.dependency ??
    undefined;
  if (!dependency) {
    return {
      outcome: 'failed',
      namespace: incident.target.namespace,
      service: '',
      readyEndpoints: 0,
      message: 'the diagnosis calls for waiting on a dependency but names no Service to wait for',
      deadline,
      checkedAt,
      checks,
    };
  }
  const { namespace, service } = dependency;
  const found = (await deps.kube.dependencies.listServices(namespace)).find(
    (s) => s.metadata?.name === service,
  );
  const endpoints = found ? await deps.kube.dependencies.serviceEndpoints(found) : { ready: 0, notReady: 0 };
  const name = `Service ${namespace}/${service}`;
  const base = { namespace, service, readyEndpoints: endpoints.ready, deadline, checkedAt, checks };
  if (endpoints.ready > 0) {
    return { ...base, outcome: 'ready', message: `${name} has ${endpoints.ready} ready endpoints` };
  }
  const state = found
    ? `${name} has no ready endpoints${endpoints.notReady ? ` (${endpoints.notReady} not ready)` : ''}`
    : `${name} does not exist`;
  if (now.getTime() >= Date.parse(deadline)) {
    return {
      ...base,
      outcome: 'failed',
      message: `${state} ${incident.options.verifyTimeoutSeconds} s after the wait began: the dependency did not come back`,
    };
  }
  return { ...base, outcome: 'waiting', message: state };
}
