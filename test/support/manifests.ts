import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../local/kube-sandbox/behavior';
import type { KubeObject } from '../../local/kube-sandbox/store';

/** Manifests the tests create, as a user would write them: one `app` container on port 8080. */

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export interface TemplateOptions {
  image?: string;
  behavior?: PodBehavior;
  /** Pod labels besides `app`. */
  labels?: Record<string, string>;
}

function podTemplate(app: string, options: TemplateOptions): Record<string, unknown> {
  return {
    metadata: {
      labels: { app, ...options.labels },
      ...(options.behavior
        ? { annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify(options.behavior) } }
        : {}),
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: options.image ?? `registry.example.com/${app}:1.0.0`,
          ports: [{ containerPort: 8080 }],
        },
      ],
    },
  };
}

export function deployment(
  ns: string,
  name: string,
  options: TemplateOptions & { replicas?: number; progressDeadlineSeconds?: number; paused?: boolean } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas: options.replicas ?? 2,
      ...(options.progressDeadlineSeconds
        ? { progressDeadlineSeconds: options.progressDeadlineSeconds }
        : {}),
      ...(options.paused ? { paused: true } : {}),
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, options),
    },
  };
}

export function statefulSet(
  ns: string,
  name: string,
  options: TemplateOptions & { replicas?: number } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas: options.replicas ?? 2,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, { image: 'mysql:8.0.36', ...options }),
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
      template: podTemplate(name, { image: 'fluent/fluent-bit:3.0', ...options }),
    },
  };
}

export function job(ns: string, name: string): KubeObject {
  const template = podTemplate(name, {
    image: 'flyway/flyway:10',
    behavior: { app: { mode: 'complete', runSeconds: 5, logs: ['Successfully applied 3 migrations'] } },
  });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      backoffLimit: 2,
      template: { ...template, spec: { ...(template.spec as object), restartPolicy: 'Never' } },
    },
  };
}

export function cronJob(ns: string, name: string, schedule: string): KubeObject {
  const template = podTemplate(name, { image: 'mysql:8.0.36', behavior: { app: { mode: 'complete' } } });
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns },
    spec: {
      schedule,
      jobTemplate: {
        spec: {
          template: { ...template, spec: { ...(template.spec as object), restartPolicy: 'OnFailure' } },
        },
      },
    },
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
