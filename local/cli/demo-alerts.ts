import type { V1Pod } from '@kubernetes/client-node';
import type { AlertmanagerAlert, AlertmanagerPayload } from '../../lambdas/shared/alertmanager';

/*
 * What Alertmanager would POST for each demo incident: a version-4 webhook payload, from the
 * handbook's ServiceDown rule (reference/runbooks/one-data-studio-operations-handbook.md,
 * 告警规则), evaluated by a Prometheus Operator setup (ServiceMonitor per service, external
 * label `prometheus`) and routed to the incident receiver grouped by alertname, namespace
 * and job, so each service's outage is one notification.
 */

/**
 * The handbook's rule, with its job matcher widened to the demo's services (the handbook's is
 * `up{job=~"data-api|agent-api"} == 0`).
 */
export const SERVICE_DOWN_RULE = {
  alert: 'ServiceDown',
  expr: 'up{job=~"data-api|agent-api|alldata-api|bisheng-api"} == 0',
  for: '1m',
  labels: { severity: 'critical' },
  summary: (job: string) => `服务 ${job} 不可用`,
} as const;

const PROMETHEUS_URL = 'http://prometheus-k8s.monitoring.svc:9090';
const ALERTMANAGER_URL = 'http://alertmanager-main.monitoring.svc:9093';
const RECEIVER = 'eks-incident-response';
/** The route that sends critical alerts to the receiver; part of every group key. */
const ROUTE_KEY = '{}/{severity="critical"}';
const GROUP_BY = ['alertname', 'namespace', 'job'];
/** Go's zero time: `endsAt` of an alert that is still firing. */
const STILL_FIRING = '0001-01-01T00:00:00Z';

const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const U64 = (1n << 64n) - 1n;
const LABEL_SEPARATOR = 0xff;

/**
 * Alertmanager's alert fingerprint: Prometheus's `labelSetToFingerprint`, FNV-1a 64 over the
 * label names in order, each name and value followed by the separator byte 0xff, as `%016x`.
 */
export function labelSetFingerprint(labels: Record<string, string>): string {
  let hash = FNV_OFFSET;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & U64;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of Buffer.from(name)) add(byte);
    add(LABEL_SEPARATOR);
    for (const byte of Buffer.from(labels[name])) add(byte);
    add(LABEL_SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}

/** Prometheus's LabelSet.String(): `{a="1", b="2"}`, names sorted. */
function labelSetText(labels: Record<string, string>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `{${pairs.join(', ')}}`;
}

/** Go's RFC 3339 with nanoseconds, as Alertmanager marshals times: trailing zeros trimmed. */
function goTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

function common(sets: Array<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = sets;
  return Object.fromEntries(
    Object.entries(first ?? {}).filter(([name, value]) => rest.every((set) => set[name] === value)),
  );
}

export interface ServiceDownOptions {
  namespace: string;
  /** The Service, its ServiceMonitor's job and the Deployment share this name. */
  service: string;
  /** The service's pods; each one that is not Ready is a scrape target whose `up` is 0. */
  pods: V1Pod[];
  /** The Service's port name (the ServiceMonitor endpoint). @default 'http' */
  endpoint?: string;
  /** When the alert became active (pending), ms. */
  activeSince: number;
}

/** The webhook Alertmanager sends when ServiceDown fires for a service's down pods. */
export function serviceDownPayload(options: ServiceDownOptions): AlertmanagerPayload {
  const { namespace, service } = options;
  const down = options.pods.filter(
    (pod) => !pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  const generatorURL = `${PROMETHEUS_URL}/graph?${new URLSearchParams({ 'g0.expr': SERVICE_DOWN_RULE.expr, 'g0.tab': '1' })}`;
  const alerts: AlertmanagerAlert[] = down.map((pod) => {
    const container = pod.spec!.containers[0];
    const labels = {
      alertname: SERVICE_DOWN_RULE.alert,
      container: container.name,
      endpoint: options.endpoint ?? 'http',
      instance: `${pod.status?.podIP}:${container.ports?.[0]?.containerPort ?? 80}`,
      job: service,
      namespace,
      pod: pod.metadata!.name!,
      prometheus: 'monitoring/k8s',
      service,
      ...SERVICE_DOWN_RULE.labels,
    };
    return {
      status: 'firing',
      labels,
      annotations: { summary: SERVICE_DOWN_RULE.summary(service) },
      startsAt: goTime(options.activeSince),
      endsAt: STILL_FIRING,
      generatorURL,
      fingerprint: labelSetFingerprint(labels),
    };
  });
  const groupLabels = Object.fromEntries(
    GROUP_BY.map((name) => [name, alerts[0]?.labels[name] ?? (name === 'namespace' ? namespace : service)]),
  );
  return {
    receiver: RECEIVER,
    status: 'firing',
    alerts,
    groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: ALERTMANAGER_URL,
    version: '4',
    groupKey: `${ROUTE_KEY}:${labelSetText(groupLabels)}`,
    truncatedAlerts: 0,
  };
}
