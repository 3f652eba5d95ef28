import { clusterDump } from '../../lambdas/cluster-dump/cluster-dump';
import { collectEvents } from '../../lambdas/collect-events/collect-events';
import { diagnose } from '../../lambdas/diagnose/diagnose';
import { escalate } from '../../lambdas/escalate/escalate';
import { guard } from '../../lambdas/guard/guard';
import { notify } from '../../lambdas/notify/notify';
import { report } from '../../lambdas/report/report';
import { restart } from '../../lambdas/restart/restart';
import { rollback } from '../../lambdas/rollback/rollback';
import { verifyStep } from '../../lambdas/verify/checks';
import type { StepEvent } from '../../lambdas/shared/contracts';
import { ApprovalStore } from '../../lambdas/shared/approval/approval-store';
import { AlertmanagerSilences } from '../../lambdas/shared/alertmanager-silences';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import type { KubernetesPort } from '../../lambdas/shared/kubernetes/kubernetes-port';
import type { KubernetesStep } from '../../lambdas/shared/kubernetes/step-access';
import { SnsNotifier } from '../../lambdas/shared/notify/sns-notifier';
import { stormBrakeOf, type StackConfig } from '../../lib/config';
import { builtinRules, mergeRules, parseRules } from '../../lambdas/shared/rules/load-rules';
import type { IncidentStep } from '../../lib/incident-response-stack';
import type { LocalAws } from '../aws/local-aws';
import type { AutoApprove } from './approval-waiter';
import type { LocalExecutionRegistry } from './execution-registry';

/** What the steps run against locally: the same logic the Lambdas run, other adapters. */
export interface LocalStepEnvironment {
  kube: KubernetesPort;
  /**
   * A step's own Kubernetes port, where it is not `kube`: deployed, each function has its own
   * Kubernetes group (step-access.ts), and a rehearsal under RBAC gives each step the identity
   * (a token of its group) it would have.
   */
  stepKube?: Partial<Record<KubernetesStep, KubernetesPort>>;
  /** S3 and SNS: the embedded emulator's, or real ones (`eks-incident run --bucket/--topic-arn`). */
  aws: Pick<LocalAws, 's3' | 'sns' | 'region' | 'bucket' | 'topicArn'>;
  /** The deployed stack's settings (allowed namespaces, cooldown, caps), with the same defaults. */
  config: StackConfig;
  /** The clock the cluster runs on (the sandbox's, when time is scaled). */
  now: () => Date;
  /**
   * The local record of executions: runIncident records its execution there, and Guard asks it
   * whether a lock's holder still runs. Without one, a held lock waits for its Lease to lapse.
   */
  executions?: LocalExecutionRegistry;
  /**
   * Where signed approval links point (`serve`'s URL) and the secret that signs them. Unset: the
   * approval request offers the CLI (and Slack's buttons) only.
   */
  approvalLinks?: { baseUrl: string; secret: string };
  /** Approve every request after a pause (the demo's stand-in for a human). Unset: a human answers. */
  autoApprove?: AutoApprove;
  /** Alertmanager's URL, to silence an incident's alerts while it is remediated. Unset: no silences. */
  alertmanagerUrl?: string;
}

/** The approval store the steps, the routes and the CLI share: the environment's S3 bucket. */
export function approvalStoreOf(env: Pick<LocalStepEnvironment, 'aws'>): ApprovalStore {
  let store = stores.get(env.aws.s3);
  if (!store) {
    store = new ApprovalStore(env.aws.s3, env.aws.bucket);
    stores.set(env.aws.s3, store);
  }
  return store;
}

/** One store per S3 client, so answers in this process are serialized by one store. */
const stores = new WeakMap<object, ApprovalStore>();

export type StepHandler = (event: StepEvent) => Promise<unknown>;

/**
 * One handler per Lambda step, built as each handler.ts builds its dependencies from the
 * function environment, but from local adapters: the Kubernetes port of a kubeconfig, S3 and
 * SNS on the local emulator. The step logic is the deployed code, unchanged.
 */
export function localStepHandlers(env: LocalStepEnvironment): Record<IncidentStep, StepHandler> {
  const { aws, config, now } = env;
  const kube = (step: KubernetesStep) => env.stepKube?.[step] ?? env.kube;
  const evidence = new S3EvidenceStore(aws.s3, aws.bucket, { now });
  const notifier = new SnsNotifier(aws.sns, aws.topicArn);
  const links = { bucket: aws.bucket, region: aws.region };
  // The rules the deployed diagnose function would load: built-ins plus the bundled file.
  const rules = mergeRules(
    builtinRules(),
    config.rulesFile ? parseRules(config.rulesFile.text, config.rulesFile.path) : [],
  );
  return {
    notify: (event) =>
      notify(event, async () => ({
        notifier,
        ...links,
        now,
        approvals: { store: approvalStoreOf(env), links: env.approvalLinks },
        stormQuiet: env.executions
          ? { inFlight: env.executions, clusterBudget: config.remediationBudget.cluster }
          : undefined,
      })),
    diagnose: (event) =>
      diagnose(event, {
        kube: kube('diagnose'),
        evidence,
        tailLines: config.logTailLines,
        limitBytes: config.logLimitBytes,
        now,
        rules,
      }),
    'collect-events': (event) => collectEvents(event, { kube: kube('collect-events'), evidence, now }),
    guard: (event) =>
      guard(event, {
        kube: kube('guard'),
        config: {
          allowedNamespaces: config.allowedNamespaces,
          allowedWorkloads: config.allowedWorkloads,
          cooldownSeconds: config.cooldownSeconds,
          lockTtlSeconds: config.lockTtlSeconds,
          stormBrake: stormBrakeOf(config),
          remediationPolicy: config.remediationPolicy,
        },
        now,
        executions: env.executions,
        silences: env.alertmanagerUrl
          ? {
              port: new AlertmanagerSilences(env.alertmanagerUrl),
              evidenceBucket: aws.bucket,
              // Alertmanager runs on the wall clock, whatever scale the cluster's clock has.
              now: () => new Date(),
            }
          : undefined,
      }),
    restart: (event) =>
      restart(event, { kube: kube('restart'), allowedNamespaces: config.allowedNamespaces, now }),
    verify: (event) => verifyStep(event, { kube: kube('verify'), now }),
    rollback: (event) =>
      rollback(event, { kube: kube('rollback'), allowedNamespaces: config.allowedNamespaces, now }),
    escalate: (event) => escalate(event, { notifier, ...links, now }),
    'cluster-dump': (event) =>
      clusterDump(event, {
        kube: kube('cluster-dump'),
        evidence,
        maxBytes: config.dumpMaxBytes,
        concurrency: config.dumpConcurrency,
        logLimitBytes: config.logLimitBytes,
        logs: config.dumpLogs,
      }),
    report: (event) => report(event, { evidence, now }),
  };
}
