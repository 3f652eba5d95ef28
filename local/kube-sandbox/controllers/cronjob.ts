import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1';
import type { ObjectReference } from 'kubernetes-types/core/v1';
import { admit } from '../admission';
import { ApiError } from '../errors';
import {
  controllerRef,
  controllerUid,
  keyOf,
  types,
  type Controller,
  type ControllerContext,
} from '../runtime';
import type { KubeObject, Writable } from '../store';
import { formatInZone, isKnownTimeZone, parseSchedule, ScheduleError, type Schedule } from './cron-schedule';
import { jobCondition, isJobFinished } from './job';
import { ownerController, recordEvent, writeStatus, type Wakeups } from './workload-common';

/*
 * The CronJob controller (pkg/controller/cronjob, v2): at each schedule time it creates the Job
 * `<cronjob>-<scheduled time in minutes since the epoch>`, keeps `status.active`,
 * `lastScheduleTime` and `lastSuccessfulTime`, applies concurrencyPolicy and
 * startingDeadlineSeconds, trims finished Jobs to the history limits, and sleeps until the next
 * schedule time (plus the 100 ms the real controller adds).
 */

type CronJobObject = KubeObject & Writable<CronJob>;
type JobObject = KubeObject & Writable<Job>;

const COMPONENT = 'cronjob-controller';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const NEXT_SCHEDULE_DELTA_MS = 100;
const MANY_MISSED = 100;

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

interface MostRecent {
  earliest: number;
  mostRecent?: number;
  missed: 'none' | 'one' | 'many' | 'some';
}

/** mostRecentScheduleTime: the latest activation in (earliest, now], and how many were missed. */
function mostRecentScheduleTime(
  cj: CronJobObject,
  now: number,
  schedule: Schedule,
  withStartingDeadline: boolean,
): MostRecent {
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata.creationTimestamp) ?? now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (withStartingDeadline && deadline !== undefined && deadline !== null) {
    earliest = Math.max(earliest, now - deadline * 1000);
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined || now < t1) return { earliest, missed: 'none' };
  const t2 = schedule.next(t1);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 'one' };
  const interval = Math.round((t2 - t1) / 1000);
  const count = Math.floor((now - t1) / 1000 / interval) + 1;
  let mostRecent: number | undefined;
  for (
    let t = schedule.next(t1 + (count - 2) * interval * 1000);
    t !== undefined && t <= now;
    t = schedule.next(t)
  ) {
    mostRecent = t;
  }
  return { earliest, mostRecent, missed: count > MANY_MISSED ? 'many' : 'some' };
}

function inActive(status: Writable<CronJobStatus>, uid: string): boolean {
  return (status.active ?? []).some((r) => r.uid === uid);
}

function removeFromActive(status: Writable<CronJobStatus>, uid: string): void {
  status.active = (status.active ?? []).filter((r) => r.uid !== uid);
}

function finishedType(job: JobObject): 'Complete' | 'Failed' | undefined {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  return undefined;
}

/** byJobStartTime: oldest start first, jobs that never started last, names break ties. */
function byStartTime(a: JobObject, b: JobObject): number {
  const sa = parseTime(a.status?.startTime);
  const sb = parseTime(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa !== sb) return sa! - sb!;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

class CronJobSync {
  private readonly now: number;
  private readonly status: Writable<CronJobStatus>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly cj: CronJobObject,
    private readonly wakeups: Wakeups,
  ) {
    this.now = ctx.clock.now();
    this.status = structuredClone(cj.status ?? {});
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.ctx, COMPONENT, this.cj, type, reason, message);
  }

  run(): void {
    const jobs = (this.ctx.store.list(types['jobs.batch'], this.cj.metadata.namespace) as JobObject[]).filter(
      (j) => controllerUid(j) === this.cj.metadata.uid,
    );
    const requeueAfter = this.sync(jobs);
    this.cleanupFinishedJobs(jobs);
    this.write();
    if (requeueAfter !== undefined) this.wakeups.after(keyOf(this.cj), requeueAfter);
  }

  private write(): void {
    const status: Writable<CronJobStatus> = {
      ...(this.status.active?.length ? { active: this.status.active } : {}),
      ...(this.status.lastScheduleTime ? { lastScheduleTime: this.status.lastScheduleTime } : {}),
      ...(this.status.lastSuccessfulTime ? { lastSuccessfulTime: this.status.lastSuccessfulTime } : {}),
    };
    const current = this.ctx.store.get(
      types['cronjobs.batch'],
      this.cj.metadata.namespace,
      this.cj.metadata.name!,
    );
    if (current) writeStatus(this.ctx, 'cronjobs.batch', current, status);
  }

  /** syncCronJob: returns the delay until the next sync, if one is due. */
  private sync(jobs: JobObject[]): number | undefined {
    const cj = this.cj;
    const status = this.status;
    for (const job of jobs) {
      const uid = job.metadata.uid!;
      const found = inActive(status, uid);
      if (!found && !isJobFinished(job)) {
        this.event(
          'Warning',
          'UnexpectedJob',
          `Saw a job that the controller did not create or forgot: ${job.metadata.name}`,
        );
      } else if (isJobFinished(job)) {
        if (found) {
          removeFromActive(status, uid);
          this.event(
            'Normal',
            'SawCompletedJob',
            `Saw completed job: ${job.metadata.name}, condition: ${finishedType(job)}`,
          );
        }
        const completed = parseTime(job.status?.completionTime);
        if (jobCondition(job, 'Complete') && completed !== undefined) {
          const last = parseTime(status.lastSuccessfulTime);
          if (last === undefined || completed > last) status.lastSuccessfulTime = job.status!.completionTime;
        }
      }
    }
    for (const ref of [...(status.active ?? [])]) {
      if (jobs.some((j) => j.metadata.uid === ref.uid)) continue;
      if (this.ctx.store.get(types['jobs.batch'], ref.namespace, ref.name!)) continue;
      this.event('Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      removeFromActive(status, ref.uid!);
    }
    if (cj.metadata.deletionTimestamp) return undefined;

    const timeZone = cj.spec?.timeZone ?? undefined;
    if (timeZone !== undefined && !isKnownTimeZone(timeZone)) {
      this.event(
        'Warning',
        'UnknownTimeZone',
        `invalid timeZone: "${timeZone}": unknown time zone ${timeZone}`,
      );
      return undefined;
    }
    if (cj.spec?.suspend) return undefined;
    let schedule: Schedule;
    try {
      schedule = parseSchedule(cj.spec!.schedule, timeZone);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      this.event(
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: "${cj.spec!.schedule}" : ${error.message}`,
      );
      return undefined;
    }

    const recent = mostRecentScheduleTime(cj, this.now, schedule, true);
    const scheduled = recent.mostRecent;
    if (scheduled === undefined) return this.nextDelay(schedule);
    if (recent.missed === 'many') {
      this.event(
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      );
    }
    const deadline = cj.spec?.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < this.now) {
      this.event('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return this.nextDelay(schedule);
    }
    const jobName = `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
    if (
      (status.active ?? []).some((r) => r.name === jobName) ||
      parseTime(status.lastScheduleTime) === scheduled
    ) {
      return this.nextDelay(schedule);
    }
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (status.active ?? []).length > 0) {
      this.event(
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return this.nextDelay(schedule);
    }
    if (policy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        const job = this.ctx.store.get(types['jobs.batch'], ref.namespace, ref.name!) as
          JobObject | undefined;
        if (job) this.deleteJob(job);
      }
    }
    const job = this.createJob(jobName, scheduled, timeZone);
    if (!job) return undefined;
    if (!inActive(status, job.metadata.uid!)) {
      const ref: Writable<ObjectReference> = {
        kind: 'Job',
        namespace: job.metadata.namespace,
        name: job.metadata.name,
        uid: job.metadata.uid,
        apiVersion: 'batch/v1',
        resourceVersion: job.metadata.resourceVersion,
      };
      status.active = [...(status.active ?? []), ref];
    }
    status.lastScheduleTime = this.ctx.clock.rfc3339(scheduled);
    return this.nextDelay(schedule);
  }

  /** nextScheduleTimeDuration: until the activation after the most recent one, plus 100 ms. */
  private nextDelay(schedule: Schedule): number | undefined {
    const view = {
      ...this.cj,
      status: this.status,
    } as CronJobObject;
    const recent = mostRecentScheduleTime(view, this.now, schedule, false);
    const from = recent.mostRecent ?? (recent.missed === 'none' ? recent.earliest : this.now);
    const next = schedule.next(from);
    return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - this.now;
  }

  /** getJobFromTemplate2 + create. Returns the job to track, or undefined when there is none. */
  private createJob(name: string, scheduled: number, timeZone: string | undefined): JobObject | undefined {
    const cj = this.cj;
    const template = cj.spec!.jobTemplate;
    const labels = { ...template.metadata?.labels };
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        ...(Object.keys(labels).length ? { labels } : {}),
        annotations: {
          ...template.metadata?.annotations,
          [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, timeZone),
        },
        ownerReferences: [controllerRef(cj)],
      },
      spec: structuredClone(template.spec),
    };
    try {
      admit(types['jobs.batch'], job);
      const created = this.ctx.store.create(types['jobs.batch'], job) as JobObject;
      this.event('Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
      return created;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code !== 409) {
        this.event('Warning', 'FailedCreate', `Error creating job: ${error.message}`);
        return undefined;
      }
      // Created before (by this controller or someone else): track it only if it is ours.
      const existing = this.ctx.store.get(types['jobs.batch'], cj.metadata.namespace, name) as
        JobObject | undefined;
      return existing && controllerUid(existing) === cj.metadata.uid ? existing : undefined;
    }
  }

  private deleteJob(job: JobObject): void {
    try {
      this.ctx.store.delete(types['jobs.batch'], job.metadata.namespace, job.metadata.name!, {
        propagationPolicy: 'Background',
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.event('Warning', 'FailedDelete', `Deleted job: ${error.message}`);
      return;
    }
    removeFromActive(this.status, job.metadata.uid!);
    this.event('Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  }

  /** successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest start time first. */
  private cleanupFinishedJobs(jobs: JobObject[]): void {
    const spec = this.cj.spec!;
    const trim = (finished: JobObject[], limit: number | undefined): void => {
      if (limit === undefined || limit === null) return;
      const excess = finished.length - limit;
      if (excess <= 0) return;
      for (const job of [...finished].sort(byStartTime).slice(0, excess)) {
        if (this.ctx.store.get(types['jobs.batch'], job.metadata.namespace, job.metadata.name!))
          this.deleteJob(job);
      }
    };
    trim(
      jobs.filter((j) => finishedType(j) === 'Complete'),
      spec.successfulJobsHistoryLimit,
    );
    trim(
      jobs.filter((j) => finishedType(j) === 'Failed'),
      spec.failedJobsHistoryLimit,
    );
  }
}

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 -0700`. */
function rfc1123z(at: number): string {
  return new Date(at).toUTCString().replace('GMT', '+0000');
}

export const cronJobController: Controller = ownerController<CronJobObject>({
  name: 'cronjob',
  storageKey: 'cronjobs.batch',
  kind: 'CronJob',
  owned: ['jobs.batch'],
  sync: (ctx, cj, wakeups) => new CronJobSync(ctx, cj, wakeups).run(),
});
