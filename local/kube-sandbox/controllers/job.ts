import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1';
import { ApiError } from '../errors';
import { keyOf, onStoreEvents, splitKey, types, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject, Writable } from '../store';
import {
  controllerKeyOf,
  createPod,
  deletePod,
  isPodReady,
  isTerminal,
  podsControlledBy,
  recordEvent,
  templatePod,
  Wakeups,
  writeStatus,
  type PodObject,
} from './workload-common';

/*
 * The Job controller (pkg/controller/job) for NonIndexed jobs: keeps `parallelism` pods running
 * until `completions` pods succeed, counts failures against `backoffLimit` with the exponential
 * back-off between retries (10 s doubling, at most 10 min), enforces activeDeadlineSeconds,
 * suspend, and ttlSecondsAfterFinished (the TTL-after-finished controller's job).
 *
 * Finished pods are counted through the `batch.kubernetes.io/job-tracking` finalizer, as
 * Kubernetes does since 1.26: a pod that still carries it has not been counted yet. As in 1.32
 * (podReplacementPolicy TerminatingOrFailed), a pod being deleted counts as failed at once and is
 * replaced; the terminal conditions (Complete, Failed) come after the interim ones
 * (SuccessCriteriaMet, FailureTarget) once no pod is terminating.
 */

type JobObject = KubeObject & Writable<Job>;
type Condition = Writable<JobCondition>;

const COMPONENT = 'job-controller';
export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 10 * 60_000;

export function jobCondition(job: JobObject, type: string): Condition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function isJobFinished(job: JobObject): boolean {
  return Boolean(jobCondition(job, 'Complete') ?? jobCondition(job, 'Failed'));
}

interface Backoff {
  failuresAfterLastSuccess: number;
  lastFailureTime: number;
}

/** What the controller remembers between syncs (client-go keeps the same in memory). */
class JobMemory {
  /** Finished pods that vanished before they were counted, by job uid. */
  readonly uncounted = new Map<string, { succeeded: number; failed: number }>();
  /** Terminating pods already counted as failed while they still carry the finalizer. */
  readonly countedTerminating = new Set<string>();
  readonly backoff = new Map<string, Backoff>();
}

class JobSync {
  private readonly now: number;
  private readonly status: Writable<JobStatus>;
  private readonly key: string;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly job: JobObject,
    private readonly memory: JobMemory,
    private readonly wakeups: Wakeups,
  ) {
    this.now = ctx.clock.now();
    this.status = structuredClone(job.status ?? {});
    this.key = keyOf(job);
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.ctx, COMPONENT, this.job, type, reason, message);
  }

  private pods(): PodObject[] {
    return podsControlledBy(this.ctx, this.job.metadata.namespace!, this.job.metadata.uid!);
  }

  run(): void {
    const finishedBefore = isJobFinished(this.job);
    this.countFinishedPods();
    if (finishedBefore || this.job.metadata.deletionTimestamp) {
      this.write();
      this.scheduleTtl();
      return;
    }
    if (this.job.spec?.suspend) {
      this.suspend();
      return;
    }
    this.resume();
    this.status.startTime ??= this.ctx.clock.rfc3339(this.now);

    const failure = this.failureCondition();
    if (failure) {
      this.finish(failure, 'Failed');
    } else if (this.succeeded()) {
      this.finish(
        { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
        'Complete',
      );
    } else {
      this.managePods();
    }
    this.write();
    this.scheduleTtl();
  }

  /** Moves finished pods into succeeded/failed and drops their finalizer. */
  private countFinishedPods(): void {
    let succeeded = 0;
    let failed = 0;
    const gone = this.memory.uncounted.get(this.job.metadata.uid!);
    if (gone) {
      succeeded += gone.succeeded;
      failed += gone.failed;
      this.memory.uncounted.delete(this.job.metadata.uid!);
    }
    for (const pod of this.pods()) {
      if (!pod.metadata.finalizers?.includes(TRACKING_FINALIZER)) continue;
      const uid = pod.metadata.uid!;
      const alreadyCounted = this.memory.countedTerminating.has(uid);
      if (isTerminal(pod)) {
        if (!alreadyCounted) {
          if (pod.status?.phase === 'Succeeded') succeeded++;
          else failed++;
        }
        this.memory.countedTerminating.delete(uid);
        removeFinalizer(this.ctx, pod);
      } else if (pod.metadata.deletionTimestamp) {
        if (!alreadyCounted) failed++;
        // Nobody but the kubelet finishes a bound pod's deletion; an unbound one can go now.
        if (pod.spec?.nodeName) this.memory.countedTerminating.add(uid);
        else {
          this.memory.countedTerminating.delete(uid);
          removeFinalizer(this.ctx, pod);
        }
      }
    }
    if (succeeded) this.status.succeeded = (this.status.succeeded ?? 0) + succeeded;
    if (failed) this.status.failed = (this.status.failed ?? 0) + failed;
    const backoff = this.memory.backoff.get(this.job.metadata.uid!) ?? {
      failuresAfterLastSuccess: 0,
      lastFailureTime: 0,
    };
    if (succeeded) backoff.failuresAfterLastSuccess = 0;
    if (failed) {
      backoff.failuresAfterLastSuccess += failed;
      backoff.lastFailureTime = this.now;
    }
    this.memory.backoff.set(this.job.metadata.uid!, backoff);
  }

  private setCondition(type: string, status: 'True' | 'False', reason: string, message: string): void {
    const conditions = (this.status.conditions ??= []);
    const now = this.ctx.clock.rfc3339(this.now);
    const existing = conditions.find((c) => c.type === type);
    if (existing) {
      if (existing.status === status && existing.reason === reason && existing.message === message) return;
      if (existing.status !== status) existing.lastTransitionTime = now;
      Object.assign(existing, { status, reason, message, lastProbeTime: now });
      return;
    }
    conditions.push({ type, status, reason, message, lastProbeTime: now, lastTransitionTime: now });
  }

  private suspend(): void {
    for (const pod of this.activePods()) this.deletePod(pod);
    if (!jobCondition(this.job, 'Suspended')) {
      this.setCondition('Suspended', 'True', 'JobSuspended', 'Job suspended');
      this.event('Normal', 'Suspended', 'Job suspended');
    }
    this.write();
  }

  private resume(): void {
    if (!jobCondition(this.job, 'Suspended')) return;
    this.setCondition('Suspended', 'False', 'JobResumed', 'Job resumed');
    // activeDeadlineSeconds counts from the resumption.
    this.status.startTime = this.ctx.clock.rfc3339(this.now);
    this.event('Normal', 'Resumed', 'Job resumed');
  }

  private activePods(): PodObject[] {
    return this.pods().filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
  }

  private terminatingPods(): PodObject[] {
    return this.pods().filter((p) => !isTerminal(p) && p.metadata.deletionTimestamp);
  }

  /** BackoffLimitExceeded or DeadlineExceeded, if the job has to fail. */
  private failureCondition(): { reason: string; message: string } | undefined {
    const interim = this.status.conditions?.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    if (interim) return { reason: interim.reason!, message: interim.message! };
    const spec = this.job.spec!;
    const backoffLimit = spec.backoffLimit ?? 6;
    if ((this.status.failed ?? 0) > backoffLimit || this.pastBackoffLimitOnFailure(backoffLimit)) {
      return { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    }
    if (spec.activeDeadlineSeconds !== undefined) {
      const deadline = Date.parse(this.status.startTime!) + spec.activeDeadlineSeconds * 1000;
      if (this.now >= deadline) {
        return { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      }
      this.wakeups.after(this.key, deadline - this.now);
    }
    return undefined;
  }

  /** restartPolicy OnFailure: container restarts of running pods count against the limit. */
  private pastBackoffLimitOnFailure(backoffLimit: number): boolean {
    if (this.job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const pod of this.activePods()) {
      if (pod.status?.phase !== 'Running' && pod.status?.phase !== 'Pending') continue;
      for (const s of [
        ...(pod.status?.initContainerStatuses ?? []),
        ...(pod.status?.containerStatuses ?? []),
      ]) {
        restarts += s.restartCount ?? 0;
      }
    }
    return backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
  }

  private succeeded(): boolean {
    if (this.status.conditions?.some((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True'))
      return true;
    const succeeded = this.status.succeeded ?? 0;
    const completions = this.job.spec?.completions;
    if (completions !== undefined && completions !== null) return succeeded >= completions;
    return succeeded > 0 && this.activePods().length === 0;
  }

  /** Interim condition now, active pods deleted, terminal condition once none is terminating. */
  private finish(cause: { reason: string; message: string }, terminal: 'Complete' | 'Failed'): void {
    const interim = terminal === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
    this.setCondition(interim, 'True', cause.reason, cause.message);
    for (const pod of this.activePods()) this.deletePod(pod);
    this.countFinishedPods();
    if (this.terminatingPods().length > 0) return;
    this.setCondition(terminal, 'True', cause.reason, cause.message);
    if (terminal === 'Complete') {
      this.status.completionTime = this.ctx.clock.rfc3339(this.now);
      this.event('Normal', 'Completed', 'Job completed');
    } else {
      this.event('Warning', cause.reason, cause.message);
    }
  }

  private deletePod(pod: PodObject): void {
    if (deletePod(this.ctx, pod))
      this.event('Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
  }

  /** manageJob: as many active pods as parallelism and the remaining completions ask for. */
  private managePods(): void {
    const spec = this.job.spec!;
    const active = this.activePods();
    const parallelism = spec.parallelism ?? 1;
    const succeeded = this.status.succeeded ?? 0;
    let wantActive: number;
    if (spec.completions === undefined || spec.completions === null) {
      wantActive = succeeded > 0 ? active.length : parallelism;
    } else {
      wantActive = Math.max(0, Math.min(spec.completions - succeeded, parallelism));
    }
    if (active.length > wantActive) {
      for (const pod of active.sort(deletionOrder).slice(0, active.length - wantActive)) this.deletePod(pod);
      return;
    }
    if (active.length === wantActive) return;
    const backoff = this.memory.backoff.get(this.job.metadata.uid!);
    if (backoff && backoff.failuresAfterLastSuccess > 0) {
      const delay = Math.min(BACKOFF_BASE_MS * 2 ** (backoff.failuresAfterLastSuccess - 1), BACKOFF_MAX_MS);
      const remaining = backoff.lastFailureTime + delay - this.now;
      if (remaining > 0) {
        this.wakeups.after(this.key, remaining);
        return;
      }
    }
    for (let i = active.length; i < wantActive; i++) {
      const created = createPod(this.ctx, this.newPod());
      if (created instanceof ApiError) {
        this.event('Warning', 'FailedCreate', `Error creating: ${created.message}`);
        return;
      }
      this.event('Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }
  }

  private newPod(): KubeObject {
    const template = structuredClone(this.job.spec!.template);
    return templatePod(this.job, template, { finalizers: [TRACKING_FINALIZER], spec: template.spec });
  }

  private write(): void {
    const active = this.activePods();
    const status = this.status;
    // active/succeeded/failed are omitempty in the Go type; ready and terminating are pointers.
    const next: Writable<JobStatus> = {
      ...(status.conditions?.length ? { conditions: status.conditions } : {}),
      ...(status.startTime ? { startTime: status.startTime } : {}),
      ...(status.completionTime ? { completionTime: status.completionTime } : {}),
      ...(active.length ? { active: active.length } : {}),
      ...(status.succeeded ? { succeeded: status.succeeded } : {}),
      ...(status.failed ? { failed: status.failed } : {}),
      ...(status.completedIndexes ? { completedIndexes: status.completedIndexes } : {}),
      ...(status.failedIndexes ? { failedIndexes: status.failedIndexes } : {}),
      terminating: this.terminatingPods().length,
      uncountedTerminatedPods: {},
      ready: active.filter(isPodReady).length,
    };
    const current = this.ctx.store.get(
      types['jobs.batch'],
      this.job.metadata.namespace,
      this.job.metadata.name!,
    );
    if (current) writeStatus(this.ctx, 'jobs.batch', current, next);
  }

  /** ttlSecondsAfterFinished: the job (and, by garbage collection, its pods) goes that long after it finished. */
  private scheduleTtl(): void {
    const ttl = this.job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null) return;
    const terminal = this.status.conditions?.find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    if (!terminal) return;
    const finishedAt = Date.parse(this.status.completionTime ?? terminal.lastTransitionTime ?? '');
    const expires = finishedAt + ttl * 1000;
    if (this.now < expires) {
      this.wakeups.after(this.key, expires - this.now);
      return;
    }
    const current = this.ctx.store.get(
      types['jobs.batch'],
      this.job.metadata.namespace,
      this.job.metadata.name!,
    );
    if (current && !current.metadata.deletionTimestamp) {
      this.ctx.store.delete(types['jobs.batch'], this.job.metadata.namespace, this.job.metadata.name!, {
        propagationPolicy: 'Foreground',
      });
    }
  }
}

function removeFinalizer(ctx: ControllerContext, pod: PodObject): void {
  const next = structuredClone(pod);
  next.metadata.finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
  if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
  ctx.store.update(types.pods, next);
}

/** Which active pods to delete first (controller.ActivePods): unbound, pending, not ready, newest. */
function deletionOrder(a: PodObject, b: PodObject): number {
  const rank = (p: PodObject): number[] => [
    p.spec?.nodeName ? 1 : 0,
    { Pending: 0, Unknown: 1, Running: 2 }[p.status?.phase ?? 'Pending'] ?? 0,
    isPodReady(p) ? 1 : 0,
    -(Date.parse(p.metadata.creationTimestamp ?? '') || 0),
  ];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
  return 0;
}

/**
 * Pods whose job is gone lose the tracking finalizer (unless a kubelet still has to stop
 * them), so they do not hang in Terminating.
 */
function releaseOrphans(ctx: ControllerContext, namespace: string, jobName: string): void {
  for (const pod of ctx.store.list(types.pods, namespace) as PodObject[]) {
    const ref = pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Job');
    if (ref?.name !== jobName || !pod.metadata.finalizers?.includes(TRACKING_FINALIZER)) continue;
    const job = ctx.store.get(types['jobs.batch'], namespace, jobName);
    if (job && job.metadata.uid === ref.uid) continue;
    if (isTerminal(pod) || !pod.spec?.nodeName || !pod.metadata.deletionTimestamp) removeFinalizer(ctx, pod);
  }
}

export const jobController: Controller = {
  name: 'job',
  start(ctx) {
    const memory = new JobMemory();
    const queue = ctx.queue('job', (key) => {
      const { namespace, name } = splitKey(key);
      const job = ctx.store.get(types['jobs.batch'], namespace, name) as JobObject | undefined;
      if (job) new JobSync(ctx, job, memory, wakeups).run();
      releaseOrphans(ctx, namespace!, name);
    });
    const wakeups = new Wakeups(ctx.clock, (key) => queue.add(key));
    const unsubscribe = onStoreEvents(ctx.store, ['jobs.batch', 'pods'], ({ storageKey, type, object }) => {
      if (storageKey === 'jobs.batch') {
        if (type === 'DELETED') {
          memory.backoff.delete(object.metadata.uid!);
          memory.uncounted.delete(object.metadata.uid!);
        }
        queue.add(keyOf(object));
        return;
      }
      const key = controllerKeyOf(object, 'Job');
      if (!key) return;
      const pod = object as PodObject;
      const uid = pod.metadata.uid!;
      // A pod removed while it still had the finalizer (and was not counted when its deletion
      // started) is counted now: removal bypassed the finalizer.
      const countedAlready = type === 'DELETED' && memory.countedTerminating.delete(uid);
      if (type === 'DELETED' && !countedAlready && pod.metadata.finalizers?.includes(TRACKING_FINALIZER)) {
        const jobUid = pod.metadata.ownerReferences!.find((r) => r.controller)!.uid;
        const counts = memory.uncounted.get(jobUid) ?? { succeeded: 0, failed: 0 };
        if (pod.status?.phase === 'Succeeded') counts.succeeded++;
        else counts.failed++;
        memory.uncounted.set(jobUid, counts);
      }
      queue.add(key);
    });
    for (const job of ctx.store.list(types['jobs.batch'])) queue.add(keyOf(job));
    return () => {
      unsubscribe();
      wakeups.clear();
    };
  },
};
