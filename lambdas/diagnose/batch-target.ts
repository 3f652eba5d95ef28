import type { V1Job, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { Diagnostics, Target } from '../shared/contracts';
import type { DiagnosisEvidence } from '../shared/diagnosis/evidence';
import { WorkloadNotFoundError } from '../shared/errors';
import { isControlledBy } from '../shared/kubernetes/kubectl';
import type { StepKubernetes } from '../shared/kubernetes/step-access';

/**
 * A Job or CronJob as a diagnosis target (a TrainingJobFailed alert names a Job; a backup
 * CronJob's last run failed). A CronJob is diagnosed through the Job that explains it: its most
 * recent failed Job, else its most recent one.
 */

export interface BatchTarget {
  summary: Diagnostics['workload'];
  pods: V1Pod[];
  template?: V1PodSpec;
  facts: NonNullable<DiagnosisEvidence['workload']>;
}

function created(job: V1Job): number {
  return new Date(job.metadata?.creationTimestamp ?? 0).getTime();
}

function failedCondition(job: V1Job) {
  return job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
}

export async function readBatchTarget(
  target: Target,
  kube: StepKubernetes<'diagnose'>,
): Promise<BatchTarget> {
  const { namespace, name } = target;
  let job: V1Job | undefined;
  let cronJob: string | undefined;
  let suspended = false;
  if (target.kind === 'CronJob') {
    const cron = await kube.jobs.getCronJob(namespace, name);
    if (!cron)
      throw new WorkloadNotFoundError(`cronjobs.batch "${name}" not found in namespace "${namespace}"`);
    cronJob = name;
    suspended = cron.spec?.suspend ?? false;
    const jobs = (await kube.jobs.listJobs(namespace))
      .filter((j) => isControlledBy(j, cron))
      .sort((a, b) => created(b) - created(a));
    job = jobs.find(failedCondition) ?? jobs[0];
  } else {
    job = await kube.jobs.getJob(namespace, name);
    if (!job) throw new WorkloadNotFoundError(`jobs.batch "${name}" not found in namespace "${namespace}"`);
    cronJob = job.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'CronJob')?.name;
    suspended = job.spec?.suspend ?? false;
  }
  const pods = job
    ? (await kube.workloads.listPods(namespace, job.spec?.selector ?? {})).filter((p) =>
        isControlledBy(p, job),
      )
    : [];
  const failed = job ? failedCondition(job) : undefined;
  const conditions = (job?.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  }));
  const completions = job?.spec?.completions ?? 1;
  return {
    summary: {
      kind: target.kind,
      namespace,
      name,
      uid: job?.metadata?.uid ?? '',
      revision: 0,
      replicas: completions,
      readyReplicas: job?.status?.ready ?? 0,
      updatedReplicas: job?.status?.succeeded ?? 0,
      availableReplicas: job?.status?.succeeded ?? 0,
      paused: suspended,
      conditions,
    },
    pods,
    ...(job?.spec?.template?.spec ? { template: job.spec.template.spec } : {}),
    facts: {
      replicas: completions,
      readyReplicas: job?.status?.succeeded ?? 0,
      ...(failed?.reason ? { failedReason: failed.reason } : {}),
      ...(failed?.message ? { failedMessage: failed.message } : {}),
      ...(cronJob ? { cronJob } : {}),
      ...(target.kind === 'CronJob' && job?.metadata?.name ? { job: job.metadata.name } : {}),
    },
  };
}
