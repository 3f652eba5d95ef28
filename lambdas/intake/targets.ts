import type { AlertTargetRule } from '../shared/alert-targets';
import { InvalidPayloadError } from '../shared/alertmanager';
import { targetSchema, type IncidentTarget, type WorkloadKind } from '../shared/contracts';
import { KubernetesRequestError } from '../shared/errors';
import type { ControllerRef, OwnerLookup } from './owner-lookup';

/**
 * Which workload an alert is about. In order:
 *
 * 1. the configured rules for service-level alerts (`{"match": {"job": "data-api"}, "target":
 *    {"kind": "Deployment", "name": "alldata-api"}}`): an operator's explicit decision wins;
 * 2. kube-state-metrics' workload labels: `deployment`, `statefulset`, `daemonset`,
 *    `job_name` (kube_job_*: a Job, diagnosed but never restarted) and `cronjob`, and
 *    kube-prometheus' `workload` + `workload_type`;
 * 3. `replicaset` and `pod` followed up their controller chain in the cluster (a pod that is
 *    already gone is found from the name its controller gave it);
 * 4. otherwise the alert's namespace as a whole, and with no namespace label at all the
 *    configured default namespace: an alert is never dropped.
 */

export interface TargetResolution {
  target: IncidentTarget;
  /** How it was found, for the response and the logs: `rule 2`, `label deployment`, `pod web-1 → ...`. */
  via: string;
}

export interface ResolveOptions {
  rules: readonly AlertTargetRule[];
  owners: OwnerLookup;
  /** The namespace of alerts that carry no namespace label (node and cluster alerts). */
  defaultNamespace: string;
}

const isNamespace = (value: string | undefined): value is string =>
  value !== undefined && targetSchema.shape.namespace.safeParse(value).success;
const isName = (value: string | undefined): value is string =>
  value !== undefined && targetSchema.shape.name.safeParse(value).success;

/*
 * Not `job`: in Prometheus that is the scrape job (`up{job="data-api"}`), which the configured
 * rules map to a workload; kube-state-metrics names a Kubernetes Job `job_name`.
 */
const WORKLOAD_LABELS: ReadonlyArray<[string, WorkloadKind]> = [
  ['deployment', 'Deployment'],
  ['statefulset', 'StatefulSet'],
  ['daemonset', 'DaemonSet'],
  ['cronjob', 'CronJob'],
  ['job_name', 'Job'],
];

/** kube-prometheus' `workload_type` values (namespace_workload_pod:kube_pod_owner:relabel). */
const WORKLOAD_TYPES: Record<string, WorkloadKind> = {
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  job: 'Job',
  cronjob: 'CronJob',
};

/** The labels target resolution reads a Kubernetes name from, and the kind of name each must be. */
const NAME_LABELS: ReadonlyArray<[string, 'namespace' | 'object']> = [
  ['namespace', 'namespace'],
  ['deployment', 'object'],
  ['statefulset', 'object'],
  ['daemonset', 'object'],
  ['workload', 'object'],
  ['replicaset', 'object'],
  ['pod', 'object'],
  ['job_name', 'object'],
];

/** A label value as an error message quotes it: JSON-escaped, and short. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/**
 * Throws InvalidPayloadError (400) naming the first label that should hold a Kubernetes name
 * but does not: a namespace that is not an RFC 1123 label (upper case, spaces, dots, empty, over
 * 63 characters), an object name that is not an RFC 1123 subdomain. Such an alert cannot be filed
 * under what it said, and filing it elsewhere (the default namespace, another label's workload)
 * would open the incident about the wrong thing; the 400 shows in Alertmanager's log and its
 * `alertmanager_notifications_failed_total`, where the relabelling that produced it can be fixed.
 */
export function assertTargetLabels(labels: Record<string, string>, field: string): void {
  for (const [label, kind] of NAME_LABELS) {
    const value = labels[label];
    if (value === undefined) continue;
    if (kind === 'namespace' ? isNamespace(value) : isName(value)) continue;
    throw new InvalidPayloadError(
      `${field}.${label}`,
      kind === 'namespace'
        ? `${quoted(value)} is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters)`
        : `${quoted(value)} is not a Kubernetes object name (lower-case RFC 1123 subdomain, at most 253 characters)`,
    );
  }
}

function ruleMatches(rule: AlertTargetRule, labels: Record<string, string>): boolean {
  return Object.entries(rule.match).every(([name, value]) => labels[name] === value);
}

/** The workload a controller reference leads to, or why there is none. */
async function workloadOf(
  namespace: string,
  controller: ControllerRef | undefined,
  owners: OwnerLookup,
): Promise<{ kind: WorkloadKind; name: string } | string> {
  if (!controller) return 'has no controller';
  if (controller.kind === 'StatefulSet' || controller.kind === 'DaemonSet' || controller.kind === 'Job') {
    return { kind: controller.kind, name: controller.name };
  }
  if (controller.kind === 'ReplicaSet') {
    const replicaSet = await owners.controllerOf(namespace, 'ReplicaSet', controller.name);
    const owner = replicaSet?.controller;
    if (owner?.kind === 'Deployment') return { kind: 'Deployment', name: owner.name };
    return `is controlled by ReplicaSet ${controller.name}, which no Deployment controls`;
  }
  return `is controlled by ${controller.kind} ${controller.name}, not a Deployment, StatefulSet, DaemonSet or Job`;
}

/**
 * A pod that no longer exists (replaced since the alert fired) still names its controller:
 * `<replicaset>-<5 chars>` for Deployments and DaemonSets, `<statefulset>-<ordinal>`.
 */
async function workloadOfGonePod(
  namespace: string,
  pod: string,
  owners: OwnerLookup,
): Promise<{ kind: WorkloadKind; name: string } | undefined> {
  const ordinal = /^(.+)-\d+$/.exec(pod)?.[1];
  if (ordinal && isName(ordinal) && (await owners.controllerOf(namespace, 'StatefulSet', ordinal))) {
    return { kind: 'StatefulSet', name: ordinal };
  }
  const generated = /^(.+)-[a-z0-9]{5}$/.exec(pod)?.[1];
  if (!generated || !isName(generated)) return undefined;
  const replicaSet = await owners.controllerOf(namespace, 'ReplicaSet', generated);
  if (replicaSet?.controller?.kind === 'Deployment')
    return { kind: 'Deployment', name: replicaSet.controller.name };
  if (!replicaSet && (await owners.controllerOf(namespace, 'DaemonSet', generated))) {
    return { kind: 'DaemonSet', name: generated };
  }
  return undefined;
}

/** The target of one alert (see the top of this file for the order). */
export async function resolveTarget(
  labels: Record<string, string>,
  options: ResolveOptions,
): Promise<TargetResolution> {
  const { owners } = options;
  const namespace = isNamespace(labels.namespace) ? labels.namespace : undefined;

  for (const [index, rule] of options.rules.entries()) {
    if (!ruleMatches(rule, labels)) continue;
    const { target } = rule;
    const via = `rule ${index + 1} (${Object.entries(rule.match)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ')})`;
    if (target.kind === 'Namespace') return { target, via };
    const ns = target.namespace ?? namespace;
    // A rule without a namespace needs the alert's; without one, the next rule or the labels decide.
    if (ns) return { target: { kind: target.kind, namespace: ns, name: target.name }, via };
  }

  if (!namespace) {
    return {
      target: { kind: 'Namespace', namespace: options.defaultNamespace },
      via: 'no namespace label: the default namespace',
    };
  }
  const workload = (kind: WorkloadKind, name: string, via: string): TargetResolution => ({
    target: { kind, namespace, name },
    via,
  });
  const wholeNamespace = (why: string): TargetResolution => ({
    target: { kind: 'Namespace', namespace },
    via: `no workload: ${why}`,
  });

  for (const [label, kind] of WORKLOAD_LABELS) {
    if (isName(labels[label])) return workload(kind, labels[label], `label ${label}`);
  }
  const workloadType = WORKLOAD_TYPES[labels.workload_type ?? ''];
  if (workloadType && isName(labels.workload)) {
    return workload(workloadType, labels.workload, 'labels workload, workload_type');
  }
  try {
    if (isName(labels.replicaset)) {
      const found = await workloadOf(namespace, { kind: 'ReplicaSet', name: labels.replicaset }, owners);
      return typeof found === 'string'
        ? wholeNamespace(`replicaset ${labels.replicaset} ${found}`)
        : workload(found.kind, found.name, `replicaset ${labels.replicaset} → ${found.kind}`);
    }
    if (isName(labels.pod)) {
      const pod = labels.pod;
      const live = await owners.controllerOf(namespace, 'Pod', pod);
      if (live) {
        const found = await workloadOf(namespace, live.controller, owners);
        return typeof found === 'string'
          ? wholeNamespace(`pod ${pod} ${found}`)
          : workload(found.kind, found.name, `pod ${pod} → ${found.kind}`);
      }
      const guessed = await workloadOfGonePod(namespace, pod, owners);
      return guessed
        ? workload(guessed.kind, guessed.name, `pod ${pod} (gone) → ${guessed.kind} by name`)
        : wholeNamespace(`pod ${pod} no longer exists and its name names no workload`);
    }
  } catch (error) {
    // Refused (403...), unlike throttled or down: a retry would not help, the namespace still does.
    if (error instanceof KubernetesRequestError)
      return wholeNamespace(`the owner chain could not be read: ${error.message}`);
    throw error;
  }
  return wholeNamespace('the labels name no workload or pod');
}
