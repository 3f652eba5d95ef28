import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import type { RestoreTest } from '../shared/backup-config';
import {
  runOf,
  type BackupRun,
  type BackupStepEvent,
  type Finding,
  type RestoreProgress,
  type RestoreTestProgress,
  type RestoreTestResult,
  type RestoreTests,
} from '../shared/backup-contracts';
import { ConfigurationError, KubernetesRequestError } from '../shared/errors';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import { redactText } from '../shared/redact';

export interface BackupRestoreTestDeps {
  kube: StepKubernetes<'backup-restore-test'>;
  tests: RestoreTest[];
  pollSeconds: number;
  now: () => Date;
}

export type RestoreTestAction = 'start' | 'check' | 'finish';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const RUN_LABEL = 'eks-incident-response/backup-run';
export const TEST_LABEL = 'eks-incident-response/restore-test';

/**
 * A day: the workflow deletes its Jobs when it finishes, so this only cleans up after an
 * execution that died in between, once anyone has had time to look at what it left.
 */
const TTL_AFTER_FINISHED_SECONDS = 86_400;
/** What the report keeps of each container's log. */
const LOG_TAIL_LINES = 200;
const LOG_LIMIT_BYTES = 32 * 1024;

/**
 * The Job's name in this run: the same on every attempt of a step, so a retried Start finds
 * the Job it already made and Finish can clean up after a Start that failed half-way.
 */
export function restoreJobName(test: RestoreTest, run: BackupRun): string {
  return `restore-${test.name}-${createHash('sha256').update(run.id).digest('hex').slice(0, 6)}`;
}

/** The test's Job: its template, labelled for this run, bounded by its timeout, collected after a day. */
export function restoreJob(test: RestoreTest, run: BackupRun): V1Job {
  const labels = {
    [MANAGED_BY_LABEL]: 'eks-incident-response',
    [RUN_LABEL]: run.id,
    [TEST_LABEL]: test.name,
  };
  const { template, ...spec } = test.jobTemplate;
  const deadline = Math.min(
    typeof spec.activeDeadlineSeconds === 'number' ? spec.activeDeadlineSeconds : test.timeoutSeconds,
    test.timeoutSeconds,
  );
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: restoreJobName(test, run),
      namespace: test.namespace,
      labels,
      annotations: test.description ? { 'eks-incident-response/description': test.description } : undefined,
    },
    spec: {
      ...spec,
      activeDeadlineSeconds: deadline,
      ttlSecondsAfterFinished: TTL_AFTER_FINISHED_SECONDS,
      template: {
        ...template,
        metadata: { ...template.metadata, labels: { ...template.metadata?.labels, ...labels } },
      },
    } as V1Job['spec'],
  };
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof KubernetesRequestError && error.status === 409;
}

function condition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

async function start(deps: BackupRestoreTestDeps, run: BackupRun): Promise<RestoreProgress> {
  const now = deps.now();
  const tests: RestoreTestProgress[] = [];
  for (const test of deps.tests) {
    const job = restoreJob(test, run);
    const progress: RestoreTestProgress = {
      name: test.name,
      namespace: test.namespace,
      job: job.metadata!.name!,
      startedAt: now.toISOString(),
      deadline: new Date(now.getTime() + test.timeoutSeconds * 1000).toISOString(),
      state: 'running',
    };
    try {
      await deps.kube.jobs.createJob(test.namespace, job);
    } catch (error) {
      if (isAlreadyExists(error)) {
        // A retried Start: the Job of the first attempt is the one to watch, from when it began.
        const existing = await deps.kube.jobs.getJob(test.namespace, progress.job);
        const created = Date.parse(String(existing?.metadata?.creationTimestamp ?? now.toISOString()));
        progress.startedAt = new Date(created).toISOString();
        progress.deadline = new Date(created + test.timeoutSeconds * 1000).toISOString();
      } else {
        if (!(error instanceof KubernetesRequestError)) throw error;
        progress.state = 'error';
        progress.reason = 'CreateFailed';
        progress.message = error.message;
      }
    }
    tests.push(progress);
  }
  return { pending: tests.some((t) => t.state === 'running'), pollSeconds: deps.pollSeconds, tests };
}

/** One look at a running test's Job; the other tests are passed through unchanged. */
async function look(
  deps: BackupRestoreTestDeps,
  test: RestoreTestProgress,
  now: Date,
): Promise<RestoreTestProgress> {
  if (test.state !== 'running') return test;
  const job = await deps.kube.jobs.getJob(test.namespace, test.job);
  if (!job) {
    return {
      ...test,
      state: 'error',
      reason: 'JobGone',
      message: `Job ${test.namespace}/${test.job} no longer exists`,
    };
  }
  const failed = condition(job, 'Failed');
  const complete = condition(job, 'Complete');
  const finishedAt = new Date((complete ?? failed)?.lastTransitionTime ?? now).toISOString();
  if (complete) return { ...test, state: 'succeeded', finishedAt };
  if (failed) {
    return {
      ...test,
      state: failed.reason === 'DeadlineExceeded' ? 'timed-out' : 'failed',
      reason: failed.reason,
      message: failed.message,
      finishedAt,
    };
  }
  // The Job controller ends the Job at its activeDeadlineSeconds; a poll later it is overdue.
  if (now.getTime() > Date.parse(test.deadline) + deps.pollSeconds * 1000) {
    return {
      ...test,
      state: 'timed-out',
      reason: 'Timeout',
      message: `still running ${Math.round((now.getTime() - Date.parse(test.startedAt)) / 1000)} s after it started`,
      finishedAt: now.toISOString(),
    };
  }
  return test;
}

async function check(deps: BackupRestoreTestDeps, progress: RestoreProgress): Promise<RestoreProgress> {
  const now = deps.now();
  const tests: RestoreTestProgress[] = [];
  for (const test of progress.tests) tests.push(await look(deps, test, now));
  return { ...progress, pending: tests.some((t) => t.state === 'running'), tests };
}

function findingOf(
  test: RestoreTest,
  progress: RestoreTestProgress,
  logs: RestoreTestResult['logs'],
): Finding | undefined {
  const what = `restore test ${test.name} (Job ${test.namespace}/${progress.job})`;
  const because = progress.reason
    ? ` (${progress.reason}${progress.message ? `: ${progress.message}` : ''})`
    : '';
  const lastLine = logs.at(-1)?.text.split('\n').filter(Boolean).at(-1);
  const ending = lastLine ? `; its log ends: ${lastLine}` : '';
  switch (progress.state) {
    case 'succeeded':
      return undefined;
    case 'failed':
      return { code: 'job-failed', message: `${what} failed${because}${ending}` };
    case 'timed-out':
      return {
        code: 'timed-out',
        message: `${what} did not finish within ${test.timeoutSeconds} s${because}${ending}`,
      };
    default:
      return { code: 'error', message: `${what} could not be run or watched${because}` };
  }
}

async function finish(
  deps: BackupRestoreTestDeps,
  event: BackupStepEvent,
  run: BackupRun,
): Promise<RestoreTests> {
  const { restore, error } = event.state;
  const results: RestoreTestResult[] = [];
  for (const test of deps.tests) {
    const name = restoreJobName(test, run);
    const known = restore?.tests.find((t) => t.name === test.name);
    // Reached through a Catch, a test may still be running or never have been started: it did not pass.
    const progress: RestoreTestProgress =
      known && known.state !== 'running'
        ? known
        : {
            name: test.name,
            namespace: test.namespace,
            job: name,
            startedAt: known?.startedAt ?? run.startedAt,
            deadline: known?.deadline ?? run.startedAt,
            state: 'error',
            reason: error?.Error ?? 'Interrupted',
            message: error?.Cause,
          };
    const job = await deps.kube.jobs.getJob(test.namespace, name);
    const logs = job
      ? (
          await deps.kube.jobs.readJobLogs(job, { tailLines: LOG_TAIL_LINES, limitBytes: LOG_LIMIT_BYTES })
        ).map((log) => ({ ...log, text: redactText(log.text) }))
      : [];
    const deleted = job ? await deps.kube.jobs.deleteJob(test.namespace, name) : false;
    const finding = findingOf(test, progress, logs);
    results.push({
      name: test.name,
      namespace: test.namespace,
      description: test.description,
      job: name,
      status: finding ? 'failed' : 'passed',
      state: progress.state,
      startedAt: known?.startedAt,
      finishedAt: progress.finishedAt,
      durationSeconds:
        known && progress.finishedAt
          ? Math.round((Date.parse(progress.finishedAt) - Date.parse(known.startedAt)) / 1000)
          : undefined,
      logs,
      deleted,
      findings: finding ? [finding] : [],
    });
  }
  return { results, ...(error ? { error } : {}) };
}

/**
 * The restore tests, over three states: `start` creates each test's Job in its scratch
 * namespace; `check` looks at the running ones (the state machine waits and checks again while
 * any runs); `finish` collects their logs and deletes them, also when reached through a Catch,
 * so no run leaves a Job behind.
 */
export async function backupRestoreTest(
  event: BackupStepEvent<{ action: RestoreTestAction }>,
  deps: BackupRestoreTestDeps,
): Promise<RestoreProgress | RestoreTests> {
  const run = runOf(event);
  switch (event.params?.action) {
    case 'start':
      return start(deps, run);
    case 'check':
      if (!event.state.restore) throw new ConfigurationError('check: the state has no $.restore to check');
      return check(deps, event.state.restore);
    case 'finish':
      return finish(deps, event, run);
    default:
      throw new ConfigurationError(`unknown restore-test action "${String(event.params?.action)}"`);
  }
}
