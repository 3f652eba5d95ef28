import type { V1Job } from '@kubernetes/client-node';
import type { CronJobSource } from '../shared/backup-config';
import type { BackupStepEvent, CronJobChecks, CronJobResult } from '../shared/backup-contracts';
import { isControlledBy } from '../shared/kubernetes/kubectl';
import type { StepKubernetes } from '../shared/kubernetes/step-access';

export interface BackupCheckCronJobsDeps {
  kube: StepKubernetes<'backup-check-cronjobs'>;
  cronJobs: CronJobSource[];
  now: () => Date;
}

const HOUR_MS = 3_600_000;
/** Lines of a failed backup Job's log that go into the report: enough for the error and its context. */
const LOG_TAIL_LINES = 20;

function iso(value: Date | string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

function condition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** The Job the CronJob made last: by the time it was scheduled for, else by creation. */
function newestJob(jobs: V1Job[]): V1Job | undefined {
  const at = (job: V1Job) =>
    Date.parse(
      job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] ??
        String(job.metadata?.creationTimestamp ?? 0),
    ) || 0;
  return [...jobs].sort((a, b) => at(b) - at(a))[0];
}

export async function checkCronJob(
  source: CronJobSource,
  kube: StepKubernetes<'backup-check-cronjobs'>,
  now: Date,
): Promise<CronJobResult> {
  const what = `CronJob ${source.namespace}/${source.name}`;
  const result: CronJobResult = {
    namespace: source.namespace,
    name: source.name,
    status: 'passed',
    findings: [],
  };
  const { findings } = result;
  const done = (): CronJobResult => ({ ...result, status: findings.length ? 'failed' : 'passed' });

  const cronJob = await kube.jobs.getCronJob(source.namespace, source.name);
  if (!cronJob) {
    findings.push({ code: 'not-found', message: `${what} does not exist` });
    return done();
  }
  result.schedule = cronJob.spec?.schedule;
  result.suspended = cronJob.spec?.suspend ?? false;
  result.lastScheduleTime = iso(cronJob.status?.lastScheduleTime);
  result.lastSuccessfulTime = iso(cronJob.status?.lastSuccessfulTime);
  if (result.suspended) {
    findings.push({ code: 'suspended', message: `${what} is suspended: it makes no backups` });
  }
  if (!result.lastSuccessfulTime) {
    findings.push({ code: 'never-succeeded', message: `${what} has no successful run on record` });
  } else {
    const age = (now.getTime() - Date.parse(result.lastSuccessfulTime)) / HOUR_MS;
    result.ageHours = Math.round(age * 100) / 100;
    if (age > source.maxAgeHours) {
      findings.push({
        code: 'stale',
        message: `${what} last succeeded ${age.toFixed(1)} h ago (${result.lastSuccessfulTime}); the limit is ${source.maxAgeHours} h`,
      });
    }
  }

  const owned = (await kube.jobs.listJobs(source.namespace)).filter((job) => isControlledBy(job, cronJob));
  const job = newestJob(owned);
  if (job) {
    const failed = condition(job, 'Failed');
    const complete = condition(job, 'Complete');
    result.lastJob = {
      name: job.metadata?.name ?? '',
      state: failed ? 'failed' : complete ? 'succeeded' : 'running',
      reason: failed?.reason,
      message: failed?.message,
      startedAt: iso(job.status?.startTime),
      finishedAt: iso(complete?.lastTransitionTime ?? failed?.lastTransitionTime),
    };
    if (failed) {
      const logs = await kube.jobs.readJobLogs(job, { tailLines: LOG_TAIL_LINES });
      const last = logs.at(-1);
      if (last) result.lastJob.logTail = last.text.split('\n').filter(Boolean);
      const error = result.lastJob.logTail?.at(-1);
      findings.push({
        code: 'last-job-failed',
        message: `the last Job ${job.metadata?.name} of ${what} failed (${failed.reason ?? 'Failed'}: ${failed.message ?? 'no message'})${error ? `; its log ends: ${error}` : ''}`,
      });
    }
  }
  return done();
}

/** Check CronJobs: each configured backup CronJob, one after the other (a few requests each). */
export async function backupCheckCronJobs(
  _event: BackupStepEvent,
  deps: BackupCheckCronJobsDeps,
): Promise<CronJobChecks> {
  const now = deps.now();
  const results: CronJobResult[] = [];
  for (const source of deps.cronJobs) results.push(await checkCronJob(source, deps.kube, now));
  return { results };
}
