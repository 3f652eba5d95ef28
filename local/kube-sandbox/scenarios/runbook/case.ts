import type { Remediation } from '../../../../lambdas/shared/contracts';
import { BEHAVIOR_ANNOTATION, type ContainerBehavior } from '../../behavior';
import type { Sandbox } from '../../sandbox';
import type { KubeObject } from '../../store';
import { namespace } from '../base';

/**
 * One symptom → cause → fix row of the runbooks in reference/runbooks/, as a sandbox scenario:
 * the incident's own namespace, workload and dependencies, failing the way the row describes,
 * with log lines worded as the real software prints them. Each case says what a correct
 * diagnosis concludes (rule, action, and the names its fix must carry); the test table
 * (test/local/engine/runbook-table.test.ts) runs them through the real flow.
 */
export interface RunbookCase {
  /** Scenario name: `eks-incident demo --scenario NAME`. */
  name: string;
  runbook: {
    file: string;
    section: string;
    /** The row as the runbook writes it: `symptom → cause → fix`. */
    row: string;
  };
  target: { namespace: string; kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job'; name: string };
  /** The objects of the incident (its namespace first). `now` is the sandbox clock (ms). */
  objects(now: number): KubeObject[];
  /** History only controllers can write (a second revision). */
  setup?(sandbox: Sandbox): Promise<void>;
  expect: {
    /** The rule a correct diagnosis ranks first. */
    ruleId: string;
    action: Remediation;
    /** Names of the incident (namespace, workload, service, key) the fix must contain. */
    fixMentions: string[];
  };
}

/** A row the sandbox cannot express yet: listed in docs/diagnosis.md with the reason. */
export interface InexpressibleRow {
  runbook: { file: string; section: string; row: string };
  why: string;
}

export const K8S = 'one-data-studio-kubernetes-troubleshooting.md';
export const COMPOSE = 'one-data-studio-compose-troubleshooting.md';
export const OTLP = 'otlp-app-troubleshooting.md';
export const AIKV = 'aikv-troubleshooting.md';
export const HANDBOOK = 'one-data-studio-operations-handbook.md';

export interface ContainerSpec {
  name?: string;
  image: string;
  port?: number;
  behavior?: ContainerBehavior;
  command?: string[];
  env?: Array<Record<string, unknown>>;
  envFrom?: Array<Record<string, unknown>>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  resources?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown> | null;
}

export interface AppSpec extends ContainerSpec {
  namespace: string;
  name: string;
  kind?: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  /** @default 1 */
  replicas?: number;
  initContainers?: ContainerSpec[];
  volumes?: Array<Record<string, unknown>>;
  nodeSelector?: Record<string, string>;
  /** Labels the pods carry besides `app`. */
  labels?: Record<string, string>;
}

function container(spec: ContainerSpec, fallbackName: string): Record<string, unknown> {
  const port = spec.port;
  return {
    name: spec.name ?? fallbackName,
    image: spec.image,
    ...(spec.command ? { command: spec.command } : {}),
    ...(port ? { ports: [{ name: 'main', containerPort: port }] } : {}),
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.envFrom ? { envFrom: spec.envFrom } : {}),
    ...(spec.volumeMounts ? { volumeMounts: spec.volumeMounts } : {}),
    resources: spec.resources ?? { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
    ...(spec.livenessProbe ? { livenessProbe: spec.livenessProbe } : {}),
    ...(spec.readinessProbe !== null && port
      ? { readinessProbe: spec.readinessProbe ?? { tcpSocket: { port }, periodSeconds: 10 } }
      : {}),
  };
}

/** A workload of one app container (plus init containers), the way its chart would deploy it. */
export function app(spec: AppSpec): KubeObject {
  const kind = spec.kind ?? 'Deployment';
  const main = container(spec, spec.name);
  const inits = (spec.initContainers ?? []).map((c, i) => container(c, `init-${i}`));
  const behaviors: Record<string, ContainerBehavior> = {};
  if (spec.behavior) behaviors[main.name as string] = spec.behavior;
  (spec.initContainers ?? []).forEach((c, i) => {
    if (c.behavior) behaviors[(inits[i].name as string) ?? `init-${i}`] = c.behavior;
  });
  const template = {
    metadata: {
      labels: { app: spec.name, ...spec.labels },
      ...(Object.keys(behaviors).length
        ? { annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify(behaviors) } }
        : {}),
    },
    spec: {
      ...(inits.length ? { initContainers: inits } : {}),
      containers: [main],
      ...(spec.volumes ? { volumes: spec.volumes } : {}),
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    },
  };
  const selector = { matchLabels: { app: spec.name } };
  const body: Record<string, unknown> =
    kind === 'DaemonSet'
      ? { selector, template }
      : {
          replicas: spec.replicas ?? 1,
          selector,
          ...(kind === 'StatefulSet' ? { serviceName: spec.name } : {}),
          template,
        };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: spec.name, namespace: spec.namespace, labels: { app: spec.name } },
    spec: body,
  };
}

/** A run-once Job of one container (restartPolicy Never), retried `backoffLimit` times. */
export function job(
  spec: ContainerSpec & { namespace: string; name: string; backoffLimit?: number },
): KubeObject {
  const main = container(spec, spec.name);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: spec.name, namespace: spec.namespace, labels: { app: spec.name } },
    spec: {
      backoffLimit: spec.backoffLimit ?? 1,
      template: {
        metadata: {
          labels: { app: spec.name },
          ...(spec.behavior
            ? {
                annotations: {
                  [BEHAVIOR_ANNOTATION]: JSON.stringify({ [main.name as string]: spec.behavior }),
                },
              }
            : {}),
        },
        spec: { restartPolicy: 'Never', containers: [main] },
      },
    },
  };
}

/** A ClusterIP Service in front of `selectorApp`'s pods (targetPort defaults to the port). */
export function svc(
  ns: string,
  name: string,
  port: number,
  options: { targetPort?: number; selectorApp?: string } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      selector: { app: options.selectorApp ?? name },
      ports: [{ name: 'main', port, targetPort: options.targetPort ?? port }],
    },
  };
}

/** A dependency (database, cache, broker): its workload and its Service. */
export function dependency(spec: AppSpec & { port: number }): KubeObject[] {
  return [app({ kind: 'StatefulSet', ...spec }), svc(spec.namespace, spec.name, spec.port)];
}

export { namespace };

/** Crash after `runSeconds` with these lines, exit code `exitCode` (default 1). */
export function crash(logs: string[], exitCode = 1, runSeconds = 3): ContainerBehavior {
  return { mode: 'crash', exitCode, runSeconds, logs };
}

/** Healthy, with the lines a healthy instance writes. */
export function healthy(logs: string[] = []): ContainerBehavior {
  return { mode: 'healthy', readyAfterSeconds: 2, logs };
}
