import { randomBytes } from 'node:crypto';
import type {
  Container,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume,
} from 'kubernetes-types/core/v1';
import { isQuantity, parseQuantity } from '../quantity';
import type { KubeObject, Writable } from '../store';
import { duplicate, forbidden, invalid, isDns1123Label, notFound, notSupported, required } from './fields';
import type { AdmissionTable, FieldCause } from './types';

type PodSpecW = Writable<PodSpec>;
type ContainerW = Writable<Container>;

/** Where the ServiceAccount admission plugin mounts the API token. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The tag of an image reference as the kubelet's parser sees it: `latest` when the
 * reference has neither tag nor digest, empty when it is pinned by digest only.
 */
export function imageTag(image: string): string {
  const [name, digest] = image.split('@');
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) return name.slice(colon + 1);
  return digest ? '' : 'latest';
}

/** `imagePullPolicy` when unset: Always for `:latest` (or no tag), else IfNotPresent. */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Writable<Probe> | undefined): void {
  if (!probe) return;
  probe.timeoutSeconds = probe.timeoutSeconds || 1;
  probe.periodSeconds = probe.periodSeconds || 10;
  probe.successThreshold = probe.successThreshold || 1;
  probe.failureThreshold = probe.failureThreshold || 3;
  if (probe.httpGet) {
    probe.httpGet.path = probe.httpGet.path || '/';
    probe.httpGet.scheme = probe.httpGet.scheme || 'HTTP';
  }
}

function defaultContainer(container: ContainerW): void {
  if (!container.imagePullPolicy && container.image) {
    container.imagePullPolicy = defaultImagePullPolicy(container.image);
  }
  container.terminationMessagePath = container.terminationMessagePath || '/dev/termination-log';
  container.terminationMessagePolicy = container.terminationMessagePolicy || 'File';
  container.resources = container.resources ?? {};
  for (const port of container.ports ?? []) port.protocol = port.protocol || 'TCP';
  for (const env of container.env ?? []) {
    const fieldRef = env.valueFrom?.fieldRef;
    if (fieldRef) fieldRef.apiVersion = fieldRef.apiVersion || 'v1';
  }
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
}

function defaultVolume(volume: Writable<Volume>): void {
  const { name: _name, ...source } = volume;
  if (Object.keys(source).length === 0) volume.emptyDir = {};
  if (volume.secret) volume.secret.defaultMode = volume.secret.defaultMode ?? 420;
  if (volume.configMap) volume.configMap.defaultMode = volume.configMap.defaultMode ?? 420;
  if (volume.downwardAPI) volume.downwardAPI.defaultMode = volume.downwardAPI.defaultMode ?? 420;
  if (volume.projected) volume.projected.defaultMode = volume.projected.defaultMode ?? 420;
  if (volume.hostPath) volume.hostPath.type = volume.hostPath.type ?? '';
  for (const source of volume.projected?.sources ?? []) {
    if (source.serviceAccountToken) {
      source.serviceAccountToken.expirationSeconds = source.serviceAccountToken.expirationSeconds ?? 3600;
    }
  }
}

/**
 * The defaults the API server gives every PodSpec, pod templates included
 * (SetDefaults_PodSpec, SetDefaults_Container and friends in pkg/apis/core/v1/defaults.go).
 * Workload admission calls this for `spec.template.spec`. Pod-only defaults (requests from
 * limits, enableServiceLinks, the admission plugins' service account and tolerations) are
 * not part of it, as in Kubernetes. Changes `spec` in place and returns it.
 */
export function defaultPodSpec<T extends PodSpecW>(spec: T): T {
  spec.dnsPolicy = spec.dnsPolicy || 'ClusterFirst';
  spec.restartPolicy = spec.restartPolicy || 'Always';
  spec.securityContext = spec.securityContext ?? {};
  spec.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds ?? 30;
  spec.schedulerName = spec.schedulerName || 'default-scheduler';
  // v1 keeps the deprecated field in step with the real one.
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  else if (spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  return spec;
}

/**
 * A pod template's defaults: its spec's, and the `creationTimestamp: null` the API server
 * writes for the zero metav1.Time of an ObjectMeta that is never stored on its own (a Go
 * struct field is never omitted), as `kubectl get -o yaml` shows under every template.
 */
export function defaultPodTemplate(template: Writable<PodTemplateSpec> | undefined): void {
  if (!template) return;
  defaultTemplateMetadata(template);
  if (template.spec) defaultPodSpec(template.spec);
}

/** `metadata.creationTimestamp: null` on an embedded object (pod, job or claim template). */
export function defaultTemplateMetadata(template: { metadata?: object }): void {
  template.metadata = { creationTimestamp: null, ...template.metadata };
}

function requestsFromLimits(resources: Writable<ResourceRequirements> | undefined): void {
  if (!resources?.limits) return;
  resources.requests = { ...resources.limits, ...resources.requests };
}

const NODE_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

/** What the ServiceAccount admission plugin adds: the projected API token volume, mounted everywhere. */
function mountServiceAccountToken(spec: PodSpecW): void {
  spec.serviceAccountName = spec.serviceAccountName || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken === false) return;
  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith('kube-api-access-'));
  const name = existing?.name ?? `kube-api-access-${randomSuffix()}`;
  if (!existing) {
    spec.volumes = [
      ...(spec.volumes ?? []),
      {
        name,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
    ];
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const mounts = c.volumeMounts ?? [];
    if (mounts.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
  }
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The pod's QoS class, as the API server computes it on create (pkg/apis/core/helper/qos). */
export function podQosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const compute = ['cpu', 'memory'];
  const nonZero = (list: Record<string, string | number> | undefined, r: string): boolean =>
    list?.[r] !== undefined && isQuantity(list[r]) && parseQuantity(list[r]) > 0;
  const anySet = containers.some((c) =>
    compute.some((r) => nonZero(c.resources?.requests, r) || nonZero(c.resources?.limits, r)),
  );
  if (!anySet) return 'BestEffort';
  const guaranteed = containers.every((c) =>
    compute.every((r) => {
      const limit = c.resources?.limits?.[r];
      const request = c.resources?.requests?.[r] ?? limit;
      return (
        limit !== undefined &&
        isQuantity(limit) &&
        isQuantity(request) &&
        parseQuantity(limit) === parseQuantity(request!)
      );
    }),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function validateLabel(field: string, value: string): FieldCause[] {
  return isDns1123Label(value).map((problem) => invalid(field, value, problem));
}

function validateResources(resources: ResourceRequirements | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, value] of Object.entries(resources?.[kind] ?? {})) {
      if (!isQuantity(value)) {
        causes.push(
          invalid(
            `${path}.${kind}[${name}]`,
            value,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          ),
        );
      } else if (parseQuantity(value) < 0) {
        causes.push(invalid(`${path}.${kind}[${name}]`, value, 'must be greater than or equal to 0'));
      }
    }
  }
  for (const [name, request] of Object.entries(resources?.requests ?? {})) {
    const limit = resources?.limits?.[name];
    if (limit === undefined || !isQuantity(limit) || !isQuantity(request)) continue;
    if (parseQuantity(request) > parseQuantity(limit)) {
      causes.push(
        invalid(
          `${path}.requests`,
          String(request),
          `must be less than or equal to ${name} limit of ${limit}`,
        ),
      );
    }
  }
  return causes;
}

function validateContainer(c: Container, path: string, names: Set<string>, forPod: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!c.name) causes.push(required(`${path}.name`));
  else {
    const nameCauses = validateLabel(`${path}.name`, c.name);
    causes.push(...nameCauses);
    if (nameCauses.length === 0 && names.has(c.name)) {
      causes.push(duplicate(`${path}.name`, c.name));
    }
    names.add(c.name);
  }
  if (!c.image) causes.push(required(`${path}.image`));
  else if (forPod && c.image.trim() !== c.image) {
    causes.push(invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  }
  if (c.imagePullPolicy && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) {
    causes.push(
      notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']),
    );
  }
  if (c.terminationMessagePolicy && !['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy)) {
    causes.push(
      notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, [
        'File',
        'FallbackToLogsOnError',
      ]),
    );
  }
  (c.ports ?? []).forEach((port, i) => {
    const portPath = `${path}.ports[${i}]`;
    if (!port.containerPort) causes.push(required(`${portPath}.containerPort`));
    else if (port.containerPort < 1 || port.containerPort > 65535) {
      causes.push(
        invalid(`${portPath}.containerPort`, port.containerPort, 'must be between 1 and 65535, inclusive'),
      );
    }
    if (port.protocol && !['SCTP', 'TCP', 'UDP'].includes(port.protocol)) {
      causes.push(notSupported(`${portPath}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']));
    }
  });
  causes.push(...validateResources(c.resources, `${path}.resources`));
  return causes;
}

export interface PodSpecValidationOptions {
  /** Pods get a few checks templates do not (ValidatePodCreate). @default false */
  forPod?: boolean;
}

/**
 * Validates a (defaulted) PodSpec as pkg/apis/core/validation does for the fields the
 * sandbox cares about. `path` prefixes every field: `spec` for pods,
 * `spec.template.spec` for workloads.
 */
export function validatePodSpec(
  spec: PodSpec | undefined,
  path: string,
  options: PodSpecValidationOptions = {},
): FieldCause[] {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  const containers = spec?.containers ?? [];
  if (containers.length === 0) causes.push(required(`${path}.containers`));
  containers.forEach((c, i) =>
    causes.push(...validateContainer(c, `${path}.containers[${i}]`, names, options.forPod ?? false)),
  );
  (spec?.initContainers ?? []).forEach((c, i) =>
    causes.push(...validateContainer(c, `${path}.initContainers[${i}]`, names, options.forPod ?? false)),
  );
  if (spec?.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    causes.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (spec?.dnsPolicy && !dnsPolicies.includes(spec.dnsPolicy)) {
    causes.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  }
  if (spec?.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    causes.push(
      invalid(
        `${path}.terminationGracePeriodSeconds`,
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  }
  const volumeNames = new Set((spec?.volumes ?? []).map((v) => v.name));
  [...containers, ...(spec?.initContainers ?? [])].forEach((c) => {
    const index = containers.indexOf(c);
    const containerPath =
      index >= 0
        ? `${path}.containers[${index}]`
        : `${path}.initContainers[${(spec?.initContainers ?? []).indexOf(c)}]`;
    (c.volumeMounts ?? []).forEach((m, i) => {
      if (m.name && !volumeNames.has(m.name)) {
        causes.push(notFound(`${containerPath}.volumeMounts[${i}].name`, m.name));
      }
    });
  });
  return causes;
}

/**
 * The fields a pod update may change: images, activeDeadlineSeconds, added tolerations,
 * and terminationGracePeriodSeconds — everything else in the spec is fixed at creation.
 */
function immutableView(spec: PodSpec): unknown {
  const { activeDeadlineSeconds: _a, tolerations: _t, terminationGracePeriodSeconds: _g, ...rest } = spec;
  const blankImages = (cs: Container[] | undefined): Container[] | undefined =>
    cs?.map((c) => ({ ...c, image: '' }));
  return {
    ...rest,
    containers: blankImages(rest.containers),
    initContainers: blankImages(rest.initContainers),
  };
}

/** JSON with object keys sorted: clients send objects back in their own key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldCause[] {
  const spec = pod.spec as PodSpec;
  const oldSpec = old.spec as PodSpec;
  const oldTolerations = canonical(oldSpec.tolerations ?? []);
  const keptTolerations = canonical((spec.tolerations ?? []).slice(0, (oldSpec.tolerations ?? []).length));
  if (
    canonical(immutableView(spec)) === canonical(immutableView(oldSpec)) &&
    oldTolerations === keptTolerations
  ) {
    return [];
  }
  return [
    forbidden(
      'spec',
      'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    ),
  ];
}

export const podAdmission: AdmissionTable = {
  pods: {
    default(pod) {
      const spec = defaultPodSpec((pod.spec ?? {}) as PodSpecW);
      pod.spec = spec;
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        requestsFromLimits(c.resources);
      }
      spec.enableServiceLinks = spec.enableServiceLinks ?? true;
      mountServiceAccountToken(spec);
      const tolerations = spec.tolerations ?? [];
      for (const t of NODE_TOLERATIONS) {
        const tolerated = tolerations.some(
          (existing) => existing.key === t.key && (!existing.effect || existing.effect === t.effect),
        );
        if (!tolerated) tolerations.push({ ...t });
      }
      spec.tolerations = tolerations;
      spec.priority = spec.priority ?? 0;
      spec.preemptionPolicy = spec.preemptionPolicy ?? 'PreemptLowerPriority';
      const status = (pod.status ?? {}) as { phase?: string };
      if (!status.phase) pod.status = { phase: 'Pending', qosClass: podQosClass(spec) };
    },
    validate(pod, old) {
      const causes = validatePodSpec(pod.spec as PodSpec, 'spec', { forPod: true });
      if (old && causes.length === 0) causes.push(...validatePodUpdate(pod, old));
      return causes;
    },
  },
};
