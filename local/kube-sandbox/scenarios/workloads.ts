import { randomUUID } from 'node:crypto';
import { admit } from '../admission';
import { BEHAVIOR_ANNOTATION, type ContainerBehavior } from '../behavior';
import { SAFE_ALPHABET } from '../controllers/hash';
import { controllerRef, types } from '../runtime';
import type { Sandbox } from '../sandbox';
import type { KubeObject } from '../store';

/** Builders for the objects scenarios are made of, shaped like the manifests teams write. */

export const PART_OF = 'app.kubernetes.io/part-of';

export interface AppOptions {
  namespace: string;
  name: string;
  image: string;
  port: number;
  replicas?: number;
  /** How the (single) container behaves; healthy when unset. */
  behavior?: ContainerBehavior;
  env?: Record<string, string>;
  /** ConfigMaps and Secrets the container takes its environment from. */
  configMaps?: string[];
  secrets?: string[];
  cpu?: string;
  memory?: string;
  /** `kubernetes.io/change-cause`, shown by `kubectl rollout history`. */
  changeCause?: string;
  partOf?: string;
  /** Back-dates the object (ms since epoch). */
  createdAt?: number;
}

function rfc3339(at: number): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function podTemplate(o: AppOptions): Record<string, unknown> {
  const labels = {
    app: o.name,
    'app.kubernetes.io/name': o.name,
    ...(o.partOf ? { [PART_OF]: o.partOf } : {}),
  };
  return {
    metadata: {
      labels,
      ...(o.behavior
        ? { annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify({ [o.name]: o.behavior }) } }
        : {}),
    },
    spec: {
      containers: [
        {
          name: o.name,
          image: o.image,
          ports: [{ name: 'http', containerPort: o.port }],
          ...(o.env ? { env: Object.entries(o.env).map(([name, value]) => ({ name, value })) } : {}),
          envFrom: [
            ...(o.configMaps ?? []).map((name) => ({ configMapRef: { name } })),
            ...(o.secrets ?? []).map((name) => ({ secretRef: { name } })),
          ],
          resources: {
            requests: { cpu: o.cpu ?? '250m', memory: o.memory ?? '512Mi' },
            limits: { memory: o.memory ?? '512Mi' },
          },
          readinessProbe: { httpGet: { path: '/health', port: o.port }, periodSeconds: 10 },
        },
      ],
    },
  };
}

function meta(o: AppOptions): KubeObject['metadata'] {
  return {
    name: o.name,
    namespace: o.namespace,
    labels: { app: o.name, ...(o.partOf ? { [PART_OF]: o.partOf } : {}) },
    ...(o.changeCause ? { annotations: { 'kubernetes.io/change-cause': o.changeCause } } : {}),
    ...(o.createdAt ? { creationTimestamp: rfc3339(o.createdAt) } : {}),
  };
}

export function deployment(o: AppOptions): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(o),
    spec: {
      replicas: o.replicas ?? 2,
      selector: { matchLabels: { app: o.name } },
      template: podTemplate(o),
    },
  };
}

export function statefulSet(o: AppOptions): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(o),
    spec: {
      replicas: o.replicas ?? 1,
      serviceName: o.name,
      selector: { matchLabels: { app: o.name } },
      template: podTemplate(o),
    },
  };
}

export function daemonSet(o: AppOptions): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(o),
    spec: { selector: { matchLabels: { app: o.name } }, template: podTemplate(o) },
  };
}

export function service(
  namespace: string,
  name: string,
  ports: Record<string, number>,
  partOf?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name, ...(partOf ? { [PART_OF]: partOf } : {}) } },
    spec: {
      selector: { app: name },
      ports: Object.entries(ports).map(([portName, port]) => ({ name: portName, port, targetPort: port })),
    },
  };
}

export function configMap(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

export function secret(namespace: string, name: string, stringData: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', stringData };
}

// ---------------------------------------------------------------------------------------
// CronJobs with a back-dated history of Jobs

export interface BackupRun {
  /** When the CronJob scheduled it (ms). */
  scheduledAt: number;
  /** Seconds it ran. */
  seconds: number;
  succeeded: boolean;
  /** What its container wrote. */
  logs: string[];
}

export interface BackupCronJobOptions {
  namespace: string;
  name: string;
  schedule: string;
  image: string;
  command: string[];
  /** How a Job the CronJob creates from now on behaves. */
  behavior: ContainerBehavior;
  runs: BackupRun[];
  /** status.lastSuccessfulTime: may be older than any run kept. */
  lastSuccessfulTime?: number;
  nodeName: string;
}

/**
 * A CronJob with its past: the Jobs it created (with their finished pods, whose logs are
 * written in `setup` via `backupLogs`), and a status that says when it last ran and last
 * succeeded, as the CronJob controller would have left them.
 */
export function backupCronJob(o: BackupCronJobOptions): KubeObject[] {
  const uid = randomUUID();
  const lastRun = o.runs.reduce((latest, r) => Math.max(latest, r.scheduledAt), 0);
  const template = {
    metadata: {
      labels: { app: o.name },
      annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify({ [o.name]: o.behavior }) },
    },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: o.name,
          image: o.image,
          command: o.command,
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        },
      ],
    },
  };
  const earliest = Math.min(...o.runs.map((r) => r.scheduledAt));
  const cronJob: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      uid,
      labels: { app: o.name, [PART_OF]: 'one-data-studio' },
      creationTimestamp: rfc3339(earliest - 30 * 86_400_000),
    },
    spec: {
      schedule: o.schedule,
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { backoffLimit: 1, template } },
    },
    status: {
      ...(lastRun ? { lastScheduleTime: rfc3339(lastRun) } : {}),
      ...(o.lastSuccessfulTime ? { lastSuccessfulTime: rfc3339(o.lastSuccessfulTime) } : {}),
    },
  };
  const objects: KubeObject[] = [cronJob];
  for (const run of o.runs) objects.push(...finishedJob(o, cronJob, template, run));
  return objects;
}

function finishedJob(
  o: BackupCronJobOptions,
  cronJob: KubeObject,
  template: {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: object;
  },
  run: BackupRun,
): KubeObject[] {
  const name = `${o.name}-${Math.floor(run.scheduledAt / 60_000)}`;
  const uid = randomUUID();
  const start = run.scheduledAt + 1000;
  const end = start + run.seconds * 1000;
  const jobLabels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: o.namespace,
      uid,
      creationTimestamp: rfc3339(run.scheduledAt),
      labels: { ...template.metadata.labels, ...jobLabels },
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': rfc3339(run.scheduledAt) },
      ownerReferences: [controllerRef(cronJob)],
    },
    spec: {
      backoffLimit: 1,
      template: {
        ...template,
        metadata: { ...template.metadata, labels: { ...template.metadata.labels, ...jobLabels } },
      },
    },
    status: run.succeeded
      ? {
          startTime: rfc3339(start),
          completionTime: rfc3339(end),
          succeeded: 1,
          conditions: [
            condition(
              'SuccessCriteriaMet',
              'CompletionsReached',
              'Reached expected number of succeeded pods',
              end,
            ),
            condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', end),
          ],
        }
      : {
          startTime: rfc3339(start),
          failed: 2,
          conditions: [
            condition(
              'FailureTarget',
              'BackoffLimitExceeded',
              'Job has reached the specified backoff limit',
              end,
            ),
            condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', end),
          ],
        },
  };
  const attempts = run.succeeded ? 1 : 2;
  const pods: KubeObject[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const podStart = start + attempt * (run.seconds + 10) * 1000;
    const podEnd = podStart + run.seconds * 1000;
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-${suffix(uid, attempt)}`,
        namespace: o.namespace,
        creationTimestamp: rfc3339(podStart),
        labels: { ...template.metadata.labels, ...jobLabels },
        annotations: template.metadata.annotations,
        ownerReferences: [controllerRef(job)],
      },
      spec: { ...structuredClone(template.spec), nodeName: o.nodeName },
      status: {
        phase: run.succeeded ? 'Succeeded' : 'Failed',
        startTime: rfc3339(podStart),
        containerStatuses: [
          {
            name: o.name,
            image: o.image,
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: run.succeeded ? 0 : 1,
                reason: run.succeeded ? 'Completed' : 'Error',
                startedAt: rfc3339(podStart),
                finishedAt: rfc3339(podEnd),
              },
            },
          },
        ],
      },
    });
  }
  return [job, ...pods];
}

function condition(type: string, reason: string, message: string, at: number): Record<string, string> {
  return {
    type,
    status: 'True',
    reason,
    message,
    lastProbeTime: rfc3339(at),
    lastTransitionTime: rfc3339(at),
  };
}

/** A pod-name suffix in apimachinery's alphabet, derived from a uid so it is stable per object. */
function suffix(seed: string, salt: number): string {
  let n = [...`${seed}${salt}`].reduce((h, c) => (h * 33 + c.charCodeAt(0)) >>> 0, 5381);
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
    n = Math.floor(n / SAFE_ALPHABET.length) + i * 7919;
  }
  return out;
}

/** Writes the logs of the finished backup pods created by `backupCronJob` (setup step). */
export function writeBackupLogs(
  sandbox: Sandbox,
  namespace: string,
  runsByCronJob: Record<string, BackupRun[]>,
): void {
  for (const pod of sandbox.store.list(types.pods, namespace)) {
    const jobName = pod.metadata.labels?.['batch.kubernetes.io/job-name'];
    const app = pod.metadata.labels?.app;
    if (!jobName || !app || !runsByCronJob[app]) continue;
    const run = runsByCronJob[app].find((r) => `${app}-${Math.floor(r.scheduledAt / 60_000)}` === jobName);
    if (!run) continue;
    const started = Date.parse(pod.metadata.creationTimestamp!);
    const step = (run.seconds * 1000) / Math.max(run.logs.length, 1);
    sandbox.logs.append(
      pod.metadata.uid!,
      app,
      0,
      run.logs.map((text, i) => ({ at: started + Math.round(i * step), text })),
    );
  }
}

/**
 * Rolls a Deployment out to a new template as `kubectl apply` of a new manifest would: once
 * the controllers have reacted to what exists (its current ReplicaSet is there), the template
 * changes, and the deployment controller makes the next revision.
 */
export async function rollOut(
  sandbox: Sandbox,
  namespace: string,
  name: string,
  change: (deployment: KubeObject) => void,
): Promise<void> {
  await sandbox.settle();
  const t = types['deployments.apps'];
  const current = sandbox.store.mustGet(t, namespace, name);
  const next = structuredClone(current);
  change(next);
  admit(t, next, current);
  sandbox.store.update(t, next, current.metadata.resourceVersion);
  await sandbox.settle();
}

/** The container behaviour annotation of a pod template, for `rollOut` changes. */
export function setBehavior(deployment: KubeObject, container: string, behavior: ContainerBehavior): void {
  const template = (deployment.spec as { template: { metadata: KubeObject['metadata'] } }).template;
  template.metadata.annotations = {
    ...template.metadata.annotations,
    [BEHAVIOR_ANNOTATION]: JSON.stringify({ [container]: behavior }),
  };
}
