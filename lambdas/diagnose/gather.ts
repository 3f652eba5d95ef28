import type {
  CoreV1Event,
  V1Container,
  V1ContainerStatus,
  V1Node,
  V1Pod,
  V1PodSpec,
  V1Service,
} from '@kubernetes/client-node';
import {
  classifiedLines,
  DEPENDENCY_CLASSES,
  impliedHosts,
  namesTechnology,
  type HostReference,
  type Technology,
} from '../shared/diagnosis/classifier';
import type {
  ConditionEvidence,
  ContainerEvidence,
  DependencyEvidence,
  EventEvidence,
  LogEvidence,
  ReferenceEvidence,
  RevisionEvidence,
  ServiceEvidence,
} from '../shared/diagnosis/evidence';
import { signalName } from '../shared/diagnosis/exit-codes';
import { CONTROLLER_REVISION_HASH_LABEL } from '../shared/kubernetes/kubectl';
import type { ReferenceKeys } from '../shared/kubernetes/ports/dependencies';
import type { WorkloadRevision } from '../shared/kubernetes/ports/workload-reader';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import { isCredentialName } from '../shared/redact';
import { DependencyResolver } from './dependencies';

/**
 * Turns what Quick Diagnostics read from the cluster into the evidence the rules match
 * (lambdas/shared/diagnosis/evidence.ts), and reads what only the evidence needs: the
 * ConfigMaps, Secrets and claims the pods reference, the dependencies failing lines name,
 * and the Services in front of the target.
 */

/** Hosts resolved per incident: enough for every dependency a log names, bounded for a noisy log. */
const DEPENDENCIES_MAX = 8;
const EVENTS_MAX = 200;

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The revision each pod runs: its ReplicaSet (Deployment) or controller-revision-hash (StatefulSet/DaemonSet). */
export function revisionOfPod(
  pod: V1Pod,
  revisions: WorkloadRevision[],
  workloadName: string,
): number | undefined {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  const byName = (name: string) => revisions.find((r) => r.name === name)?.revision;
  if (owner?.kind === 'ReplicaSet') return byName(owner.name);
  const hash = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  if (hash) return byName(hash) ?? byName(`${workloadName}-${hash}`);
  return undefined;
}

function literalEnv(container: V1Container): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    // Literal values only, and never one whose name marks a credential.
    if (e.value !== undefined && !isCredentialName(e.name)) env[e.name] = e.value;
  }
  return Object.keys(env).length ? env : undefined;
}

function containerEvidence(
  pod: V1Pod,
  status: V1ContainerStatus,
  init: boolean,
  revision: number | undefined,
): ContainerEvidence {
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === status.name,
  );
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  const env = spec ? literalEnv(spec) : undefined;
  const ports = (spec?.ports ?? []).map((p) => p.containerPort);
  const signal = terminated ? signalName(terminated.signal, terminated.exitCode) : undefined;
  return {
    pod: pod.metadata?.name ?? '',
    container: status.name,
    init,
    ...(revision !== undefined ? { revision } : {}),
    running: !!status.state?.running,
    ready: status.ready,
    restartCount: status.restartCount,
    ...(status.state?.waiting?.reason ? { waitingReason: status.state.waiting.reason } : {}),
    ...(status.state?.waiting?.message ? { waitingMessage: status.state.waiting.message } : {}),
    ...(terminated
      ? {
          termination: {
            ...(terminated.reason ? { reason: terminated.reason } : {}),
            exitCode: terminated.exitCode,
            ...(signal ? { signal } : {}),
            ...(terminated.message ? { message: terminated.message } : {}),
            ...(terminated.finishedAt ? { finishedAt: new Date(terminated.finishedAt).toISOString() } : {}),
          },
        }
      : {}),
    ...(env ? { env } : {}),
    ...(ports.length ? { ports } : {}),
  };
}

export function containersOf(
  pods: V1Pod[],
  revisionOf: (pod: V1Pod) => number | undefined,
): ContainerEvidence[] {
  return pods.flatMap((pod) => {
    const revision = revisionOf(pod);
    return [
      ...(pod.status?.initContainerStatuses ?? []).map((s) => containerEvidence(pod, s, true, revision)),
      ...(pod.status?.containerStatuses ?? []).map((s) => containerEvidence(pod, s, false, revision)),
    ];
  });
}

export function conditionsOf(pods: V1Pod[], nodes: V1Node[]): ConditionEvidence[] {
  return [
    ...pods.flatMap((pod) =>
      (pod.status?.conditions ?? []).map((c) => ({
        on: 'Pod' as const,
        name: pod.metadata?.name ?? '',
        type: c.type,
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      })),
    ),
    ...nodes.flatMap((node) =>
      (node.status?.conditions ?? []).map((c) => ({
        on: 'Node' as const,
        name: node.metadata?.name ?? '',
        type: c.type,
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      })),
    ),
  ];
}

export function eventsOf(events: CoreV1Event[]): EventEvidence[] {
  // `kubectl events` order is oldest first; the newest are what the incident is about.
  return events.slice(-EVENTS_MAX).map((e) => ({
    kind: e.involvedObject?.kind ?? '',
    name: e.involvedObject?.name ?? '',
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.series?.count ?? e.count ?? 1,
    ...(e.lastTimestamp ? { lastSeen: new Date(e.lastTimestamp).toISOString() } : {}),
  }));
}

/**
 * Each revision with its pods now. A revision is healthy when its pods are all ready without
 * restarts, or (a Deployment's ReplicaSet) it reports ready replicas; one without pods cannot be
 * judged, except the current one, which fails when it should have pods and has none ready.
 */
export function revisionsOf(
  revisions: WorkloadRevision[],
  pods: V1Pod[],
  revisionOf: (pod: V1Pod) => number | undefined,
): RevisionEvidence[] {
  return revisions.map((r) => {
    const own = pods.filter((p) => revisionOf(p) === r.revision);
    const readyPods = own.filter(isReady).length;
    const restarts = own.reduce(
      (sum, p) => sum + (p.status?.containerStatuses ?? []).reduce((n, s) => n + s.restartCount, 0),
      0,
    );
    let healthy: boolean | undefined;
    if (own.length > 0) healthy = readyPods === own.length && (restarts === 0 || !r.current);
    else if (r.readyReplicas !== undefined && r.readyReplicas > 0) healthy = true;
    if (own.length > 0 && readyPods < own.length) healthy = false;
    return {
      revision: r.revision,
      current: r.current,
      pods: own.length,
      readyPods,
      restarts,
      ...(healthy !== undefined ? { healthy } : {}),
      ...(r.createdAt ? { createdAt: r.createdAt } : {}),
      images: (r.template.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`),
    };
  });
}

interface Reference {
  kind: 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';
  name: string;
  key?: string;
  optional: boolean;
  usedBy: string;
  /** The pod volume that projects it, when one does. */
  volume?: string;
}

/** Every ConfigMap, Secret (and key) and claim a pod spec references. */
export function referencesOf(spec: V1PodSpec | undefined, owner: string): Reference[] {
  const refs: Reference[] = [];
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    const usedBy = `${owner}/${c.name}`;
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm?.name)
        refs.push({ kind: 'ConfigMap', name: cm.name, key: cm.key, optional: !!cm.optional, usedBy });
      const sec = e.valueFrom?.secretKeyRef;
      if (sec?.name)
        refs.push({ kind: 'Secret', name: sec.name, key: sec.key, optional: !!sec.optional, usedBy });
    }
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef?.name)
        refs.push({
          kind: 'ConfigMap',
          name: f.configMapRef.name,
          optional: !!f.configMapRef.optional,
          usedBy,
        });
      if (f.secretRef?.name)
        refs.push({ kind: 'Secret', name: f.secretRef.name, optional: !!f.secretRef.optional, usedBy });
    }
  }
  for (const v of spec?.volumes ?? []) {
    const usedBy = `${owner} volume ${v.name}`;
    if (v.configMap?.name) {
      const keys = v.configMap.items?.map((i) => i.key) ?? [undefined];
      for (const key of keys)
        refs.push({
          kind: 'ConfigMap',
          name: v.configMap.name,
          key,
          optional: !!v.configMap.optional,
          usedBy,
          volume: v.name,
        });
    }
    if (v.secret?.secretName) {
      const keys = v.secret.items?.map((i) => i.key) ?? [undefined];
      for (const key of keys)
        refs.push({
          kind: 'Secret',
          name: v.secret.secretName,
          key,
          optional: !!v.secret.optional,
          usedBy,
          volume: v.name,
        });
    }
    for (const source of v.projected?.sources ?? []) {
      if (source.configMap?.name)
        refs.push({
          kind: 'ConfigMap',
          name: source.configMap.name,
          optional: !!source.configMap.optional,
          usedBy,
          volume: v.name,
        });
      if (source.secret?.name)
        refs.push({
          kind: 'Secret',
          name: source.secret.name,
          optional: !!source.secret.optional,
          usedBy,
          volume: v.name,
        });
    }
    if (v.persistentVolumeClaim?.claimName)
      refs.push({
        kind: 'PersistentVolumeClaim',
        name: v.persistentVolumeClaim.claimName,
        optional: false,
        usedBy,
      });
  }
  return refs;
}

/**
 * A Secret's state as the kubelet reported it in `reports` (container waiting messages, pod
 * event messages): `secret "x" not found` (env, envFrom, volumes), `couldn't find key K in Secret
 * ns/x` (env) and, for a volume's item, `MountVolume.SetUp failed for volume "v" : references
 * non-existent secret key: K`. Without a report the state is `unknown`: Quick Diagnostics may not
 * read Secrets (RBAC cannot grant their names without their values), so it never claims one exists.
 */
export function reportedSecretState(
  ref: Pick<Reference, 'name' | 'key' | 'volume'>,
  reports: readonly string[],
): ReferenceEvidence['state'] {
  const lines = reports.flatMap((report) => report.split('\n').map((line) => line.trim()));
  if (lines.some((line) => line.toLowerCase().includes(`secret "${ref.name}" not found`.toLowerCase())))
    return 'missing';
  if (!ref.key) return 'unknown';
  const envKey = `couldn't find key ${ref.key} in Secret `;
  const volumeKey =
    ref.volume && `for volume "${ref.volume}" : references non-existent secret key: ${ref.key}`;
  const keyMissing = lines.some(
    (line) =>
      (line.includes(envKey) && (line.endsWith(`/${ref.name}`) || line.endsWith(` ${ref.name}`))) ||
      (volumeKey && line.endsWith(volumeKey)),
  );
  return keyMissing ? 'missing-key' : 'unknown';
}

/**
 * The state of each reference: ConfigMaps and claims as the API serves them, Secrets as the
 * kubelet reported them (`reports`: the pods' waiting messages and event messages).
 */
export async function checkReferences(
  kube: StepKubernetes<'diagnose'>,
  namespace: string,
  refs: Reference[],
  reports: readonly string[],
): Promise<ReferenceEvidence[]> {
  const keys = new Map<string, Promise<ReferenceKeys>>();
  const phases = new Map<string, Promise<string>>();
  const out: ReferenceEvidence[] = [];
  for (const ref of refs) {
    const id = `${ref.kind}/${ref.name}`;
    let state: ReferenceEvidence['state'];
    if (ref.kind === 'PersistentVolumeClaim') {
      if (!phases.has(id)) phases.set(id, kube.dependencies.claimPhase(namespace, ref.name));
      const phase = await phases.get(id)!;
      state =
        phase === 'Bound' || phase === 'Pending' || phase === 'Lost' || phase === 'missing'
          ? (phase as ReferenceEvidence['state'])
          : 'unknown';
    } else if (ref.kind === 'Secret') {
      state = reportedSecretState(ref, reports);
    } else {
      if (!keys.has(id)) keys.set(id, kube.dependencies.configMapKeys(namespace, ref.name));
      const found = await keys.get(id)!;
      if (!found.exists) state = 'missing';
      else state = ref.key && found.keys && !found.keys.includes(ref.key) ? 'missing-key' : 'present';
    }
    const entry: ReferenceEvidence = {
      kind: ref.kind,
      name: ref.name,
      ...(ref.key ? { key: ref.key } : {}),
      optional: ref.optional,
      state,
      usedBy: ref.usedBy,
    };
    if (!out.some((o) => o.kind === entry.kind && o.name === entry.name && o.key === entry.key))
      out.push(entry);
  }
  return out;
}

/** Env names that hold a dependency's address (DB_HOST, REDIS_URL, MILVUS_ADDR...). */
const ADDRESS_ENV = /(?:HOST|HOSTNAME|ADDR|ADDRESS|URL|URI|ENDPOINT|SERVER|SERVERS|BROKERS?)$/i;

/**
 * The hosts failing lines name or imply (the host a line about a dependency took from the lines
 * just before it), plus the literal address env values of failing containers.
 */
export function dependencyHosts(logs: LogEvidence[], containers: ContainerEvidence[]): HostReference[] {
  const hosts: HostReference[] = [];
  const add = (h: HostReference) => {
    if (!hosts.some((x) => x.host === h.host && x.port === h.port)) hosts.push(h);
  };
  for (const log of logs) {
    const raw = log.text.split('\n');
    for (const line of classifiedLines(log)) {
      if (!DEPENDENCY_CLASSES.has(line.class)) continue;
      impliedHosts(raw, line.index, line.hosts)?.hosts.forEach(add);
      line.hosts.forEach(add);
    }
  }
  for (const c of containers) {
    if (c.ready && c.restartCount === 0) continue;
    for (const [name, value] of Object.entries(c.env ?? {})) {
      if (!ADDRESS_ENV.test(name)) continue;
      const m = /^(?:[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)?([a-z0-9.-]+)(?::(\d{1,5}))?/i.exec(value.trim());
      if (m && /[a-z]/i.test(m[1]))
        add({ host: m[1].toLowerCase(), ...(m[2] ? { port: Number(m[2]) } : {}) });
    }
  }
  return hosts.slice(0, DEPENDENCIES_MAX);
}

/** Servers a line can name by their software alone ("The table is full" of MySQL). */
const SERVER_TECHNOLOGIES: ReadonlySet<Technology> = new Set<Technology>([
  'mysql',
  'postgres',
  'redis',
  'milvus',
  'minio',
  'etcd',
  'kafka',
]);

/**
 * The servers failing lines name by their software but by no host (`(1114, "The table
 * 'lineage_event' is full")` of PyMySQL, `redis.exceptions.TimeoutError`), and no address env
 * value points at: the cluster's Service of that software is the dependency to look at.
 */
export function unaddressedTechnologies(logs: LogEvidence[]): Technology[] {
  const out = new Set<Technology>();
  for (const log of logs) {
    const raw = log.text.split('\n');
    for (const line of classifiedLines(log)) {
      if (line.technologyFrom !== 'wording' || !line.technology || !SERVER_TECHNOLOGIES.has(line.technology))
        continue;
      if (line.hosts.length || impliedHosts(raw, line.index, line.hosts)) continue;
      out.add(line.technology);
    }
  }
  return [...out];
}

/** The Service that runs a technology: in the target's namespace first, then the closest name. */
function serviceForTechnology(
  services: V1Service[],
  technology: Technology,
  namespace: string,
): V1Service | undefined {
  const candidates = services.filter((s) => namesTechnology(technology, s.metadata?.name));
  const rank = (s: V1Service) =>
    (s.metadata?.namespace === namespace ? 0 : 2) + (s.metadata?.name === technology ? 0 : 1);
  return candidates.sort(
    (a, b) => rank(a) - rank(b) || (a.metadata?.name ?? '').length - (b.metadata?.name ?? '').length,
  )[0];
}

export async function resolveDependencies(
  kube: StepKubernetes<'diagnose'>,
  namespace: string,
  hosts: HostReference[],
  self: string,
  technologies: Technology[] = [],
): Promise<DependencyEvidence[]> {
  const resolver = new DependencyResolver(kube, namespace);
  const out: DependencyEvidence[] = [];
  const add = (d: DependencyEvidence | undefined) => {
    // The target's own Service is not a dependency of it.
    if (d && !(d.namespace === namespace && d.workload?.name === self)) out.push(d);
  };
  for (const h of hosts) add(await resolver.resolve(h));
  const missing = technologies.filter(
    (t) => !out.some((d) => namesTechnology(t, d.service, d.workload?.name, ...(d.images ?? []))),
  );
  if (missing.length) {
    // Services are readable cluster-wide (the diagnosis role lists them for this).
    const services = await kube.dependencies.listServices().catch(() => [] as V1Service[]);
    for (const t of missing) {
      const s = serviceForTechnology(services, t, namespace);
      if (s?.metadata?.name && s.metadata.namespace)
        add(await resolver.resolve({ host: `${s.metadata.name}.${s.metadata.namespace}` }));
    }
  }
  return out.slice(0, DEPENDENCIES_MAX);
}

/** The Services that select the target's pods, with targetPorts no container exposes. */
export async function servicesOf(
  kube: StepKubernetes<'diagnose'>,
  namespace: string,
  pods: V1Pod[],
): Promise<ServiceEvidence[]> {
  if (pods.length === 0) return [];
  const labels = pods[0].metadata?.labels ?? {};
  const selects = (s: V1Service) => {
    const sel = s.spec?.selector;
    return !!sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
  };
  const services = (await kube.dependencies.listServices(namespace)).filter(selects);
  const containers = pods.flatMap((p) => p.spec?.containers ?? []);
  const out: ServiceEvidence[] = [];
  for (const s of services) {
    const unmatchedPorts = (s.spec?.ports ?? [])
      .map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port }))
      .filter(
        ({ targetPort }) =>
          !containers.some((c) =>
            (c.ports ?? []).some((cp) =>
              typeof targetPort === 'number'
                ? cp.containerPort === targetPort
                : cp.name === targetPort || String(cp.containerPort) === targetPort,
            ),
          ),
      )
      // Containers that declare no ports at all may still listen: only a declared mismatch counts.
      .filter(() => containers.some((c) => (c.ports ?? []).length > 0));
    const endpoints = await kube.dependencies.serviceEndpoints(s);
    out.push({ name: s.metadata?.name ?? '', readyEndpoints: endpoints.ready, unmatchedPorts });
  }
  return out;
}
