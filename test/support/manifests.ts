import type { Deployment } from 'kubernetes-types/apps/v1';
import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../local/kube-sandbox/behavior';
import type { KubeObject, Writable } from '../../local/kube-sandbox/store';

/*
 * The manifests the tests create, as a user writes them (no server-side defaults), built on one
 * pod template. Two sets of defaults, because the suites want two kinds of workload:
 *
 * - an application as a team writes it (`deployment`, `statefulSet`, ... with a namespace first):
 *   one `app` container with a registry image on port 8080, two replicas, the `app` label;
 * - a bare manifest for the sandbox's own suites (`deploymentManifest`, `statefulSetManifest`, ...):
 *   `nginx:1.27`, no port, three replicas, in `default`, the rest of the spec given by the test.
 */

export interface TemplateOptions {
  /** @default `nginx:1.27` (the application builders: a registry image named after the app) */
  image?: string;
  /** The single container's name. @default 'app' */
  container?: string;
  /** The container's port. @default none (the application builders: 8080) */
  port?: number;
  env?: Array<{ name: string; value: string }>;
  behavior?: PodBehavior;
  /** Template annotations besides the behaviour (e.g. an earlier `restartedAt`). */
  annotations?: Record<string, string>;
  /** Pod labels besides `app` (only for the application builders). */
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  restartPolicy?: string;
}

/** The template annotations: the sandbox behaviour, then `annotations`; undefined when none. */
function annotationsOf(
  options: Pick<TemplateOptions, 'behavior' | 'annotations'>,
): Record<string, string> | undefined {
  const annotations = {
    ...(options.behavior ? { [BEHAVIOR_ANNOTATION]: JSON.stringify(options.behavior) } : {}),
    ...options.annotations,
  };
  return Object.keys(annotations).length ? annotations : undefined;
}

function containerOf(options: TemplateOptions): Record<string, unknown> {
  return {
    name: options.container ?? 'app',
    image: options.image ?? 'nginx:1.27',
    ...(options.port ? { ports: [{ containerPort: options.port }] } : {}),
    ...(options.env ? { env: options.env } : {}),
  };
}

/** A pod template with these labels and one container. */
export function podTemplate(
  labels: Record<string, string>,
  options: Omit<TemplateOptions, 'labels'> = {},
): Record<string, unknown> {
  const annotations = annotationsOf(options);
  return {
    metadata: { labels, ...(annotations ? { annotations } : {}) },
    spec: {
      ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
      containers: [containerOf(options)],
      ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
    },
  };
}

/** An application's template: `app: <app>` plus `labels`, a registry image, port 8080. */
function appTemplate(
  app: string,
  options: TemplateOptions,
  image = `registry.example.com/${app}:1.0.0`,
): Record<string, unknown> {
  const { labels, ...rest } = options;
  return podTemplate({ app, ...labels }, { ...rest, port: rest.port ?? 8080, image: rest.image ?? image });
}

function withRestartPolicy(
  template: Record<string, unknown>,
  restartPolicy: string,
): Record<string, unknown> {
  return { ...template, spec: { ...(template.spec as object), restartPolicy } };
}

// Applications as a team writes them.

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export interface ApplicationDeploymentOptions extends TemplateOptions {
  replicas?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

export function deployment(ns: string, name: string, options: ApplicationDeploymentOptions = {}): KubeObject {
  const { replicas, progressDeadlineSeconds, paused, ...template } = options;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas: replicas ?? 2,
      ...(progressDeadlineSeconds ? { progressDeadlineSeconds } : {}),
      ...(paused ? { paused: true } : {}),
      selector: { matchLabels: { app: name } },
      template: appTemplate(name, template),
    },
  };
}

export function statefulSet(
  ns: string,
  name: string,
  options: TemplateOptions & { replicas?: number } = {},
): KubeObject {
  const { replicas, ...template } = options;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas: replicas ?? 2,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: appTemplate(name, template, 'mysql:8.0.36'),
    },
  };
}

export function daemonSet(ns: string, name: string, options: TemplateOptions = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: appTemplate(name, options, 'fluent/fluent-bit:3.0'),
    },
  };
}

/** A migration Job that completes after five seconds. */
export function job(ns: string, name: string): KubeObject {
  const template = appTemplate(name, {
    image: 'flyway/flyway:10',
    behavior: { app: { mode: 'complete', runSeconds: 5, logs: ['Successfully applied 3 migrations'] } },
  });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { backoffLimit: 2, template: withRestartPolicy(template, 'Never') },
  };
}

/** A backup CronJob whose runs complete. */
export function cronJob(ns: string, name: string, schedule: string): KubeObject {
  const template = appTemplate(name, { image: 'mysql:8.0.36', behavior: { app: { mode: 'complete' } } });
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns },
    spec: { schedule, jobTemplate: { spec: { template: withRestartPolicy(template, 'OnFailure') } } },
  };
}

export function service(ns: string, name: string, port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort: 8080 }] },
  };
}

export function configMap(ns: string, name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
}

export function secret(ns: string, name: string, stringData: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, type: 'Opaque', stringData };
}

export function lease(ns: string, name: string, holder: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: ns },
    spec: { holderIdentity: holder, leaseDurationSeconds: 300 },
  };
}

// Bare manifests for the sandbox's own suites.

export interface DeploymentManifestOptions {
  replicas?: number;
  namespace?: string;
  strategy?: Record<string, unknown>;
  /** Spec fields besides replicas, selector, strategy and template. */
  spec?: Record<string, unknown>;
  templateAnnotations?: Record<string, string>;
  /** The Deployment's own annotations. */
  annotations?: Record<string, string>;
  image?: string;
}

export function deploymentManifest(
  name: string,
  options: DeploymentManifestOptions = {},
): KubeObject & Writable<Deployment> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      replicas: options.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      ...(options.strategy ? { strategy: options.strategy } : {}),
      template: podTemplate(
        { app: name },
        { image: options.image, annotations: options.templateAnnotations },
      ),
      ...options.spec,
    },
  };
}

export function statefulSetManifest(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      serviceName: name,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: podTemplate({ app: name }),
      ...spec,
    },
  };
}

export function daemonSetManifest(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }), ...spec },
  };
}

export function jobManifest(
  name: string,
  spec: Record<string, unknown> = {},
  behavior?: PodBehavior,
): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { template: podTemplate({ app: name }, { restartPolicy: 'Never', behavior }), ...spec },
  };
}

export function cronJobManifest(
  name: string,
  schedule: string,
  spec: Record<string, unknown> = {},
  behavior: PodBehavior = { app: { mode: 'complete', runSeconds: 5 } },
): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule,
      jobTemplate: { spec: { template: podTemplate({ app: name }, { restartPolicy: 'Never', behavior }) } },
      ...spec,
    },
  };
}

export interface PodManifestOptions {
  behavior?: PodBehavior;
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
  containers?: Array<Record<string, unknown>>;
  namespace?: string;
}

/** A bare pod, as a user would apply it. */
export function podManifest(name: string, options: PodManifestOptions = {}): KubeObject {
  const annotations = annotationsOf(options);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: options.namespace ?? 'default', ...(annotations ? { annotations } : {}) },
    spec: { containers: options.containers ?? [containerOf({})], ...options.spec },
  };
}
