import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { classifyLog, decisiveLine, type HostReference } from '../shared/diagnosis/classifier';
import type { DependencyEvidence } from '../shared/diagnosis/evidence';
import type { StepKubernetes } from '../shared/kubernetes/step-access';

/**
 * Resolves the hosts failing log lines name (`redis:6379`, `mysql.one-data-infra`,
 * `milvus-proxy.one-data-infra.svc.cluster.local`, a ClusterIP) to Services in the cluster, and
 * says whether each is up, down (no ready endpoints, with its pods' own trouble), missing, or
 * asked for a port it does not serve.
 */

const LOCAL_HOSTS = /^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1?)$/;
const CLUSTER_SUFFIX = /\.svc(?:\.cluster\.local)?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The Service a host name means, seen from `namespace`: `svc`, `svc.ns`, `pod.svc.ns`, with or without `.svc[.cluster.local]`. */
export function serviceName(
  host: string,
  namespace: string,
): { namespace: string; service: string; explicit: boolean } | undefined {
  if (LOCAL_HOSTS.test(host) || IPV4.test(host)) return undefined;
  const bare = host.replace(CLUSTER_SUFFIX, '');
  const labels = bare.split('.');
  const clusterForm = CLUSTER_SUFFIX.test(host);
  if (labels.length === 1) return { namespace, service: labels[0], explicit: false };
  if (labels.length === 2) return { namespace: labels[1], service: labels[0], explicit: clusterForm };
  // StatefulSet pod DNS: <pod>.<service>.<namespace>.svc.cluster.local
  if (labels.length === 3 && clusterForm) return { namespace: labels[2], service: labels[1], explicit: true };
  return undefined;
}

function ownerWorkload(pod: V1Pod): { kind: string; name: string } | undefined {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (!owner) return undefined;
  // A Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`.
  if (owner.kind === 'ReplicaSet')
    return { kind: 'Deployment', name: owner.name.replace(/-[a-z0-9]{1,10}$/, '') };
  return { kind: owner.kind, name: owner.name };
}

/** A container of a dependency's pod that died: its last log lines say why. */
interface CrashedContainer {
  pod: string;
  container: string;
}

interface Trouble {
  text: string;
  crashed?: CrashedContainer;
}

function troubleOf(pods: V1Pod[]): Trouble | undefined {
  if (pods.length === 0) return { text: 'its selector matches no pods (scaled to zero or deleted)' };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    for (const s of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      const terminated = s.state?.terminated ?? s.lastState?.terminated;
      if (terminated?.reason === 'OOMKilled')
        return { text: `its pod ${name} is OOMKilled (container ${s.name})` };
      const crashed = { pod: name, container: s.name };
      const exit = terminated?.exitCode !== undefined ? `, last exit code ${terminated.exitCode}` : '';
      const waiting = s.state?.waiting?.reason;
      if (waiting && waiting !== 'ContainerCreating' && waiting !== 'PodInitializing') {
        return { text: `its pod ${name} is in ${waiting} (container ${s.name}${exit})`, crashed };
      }
      // Caught running between two crashes: its restarts still say it crash-loops.
      if (s.restartCount > 0 && terminated && terminated.exitCode !== 0) {
        return {
          text: `its pod ${name} keeps restarting (container ${s.name}, ${s.restartCount} restarts${exit})`,
          crashed,
        };
      }
    }
    const unscheduled = pod.status?.conditions?.find(
      (c) => c.type === 'PodScheduled' && c.status === 'False',
    );
    if (unscheduled)
      return {
        text: `its pod ${name} cannot be scheduled${unscheduled.message ? `: ${unscheduled.message}` : ''}`,
      };
  }
  const notReady = pods.find(
    (p) => !(p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (notReady)
    return {
      text: `its pod ${notReady.metadata?.name} is ${notReady.status?.phase ?? 'not running'} but not ready`,
    };
  return undefined;
}

/** In one line, why a dependency's pods do not serve: what its own diagnosis would lead with. */
export function podTrouble(pods: V1Pod[]): string | undefined {
  return troubleOf(pods)?.text;
}

/** Lines of a crashed dependency's previous log read for its own diagnosis. */
const DEPENDENCY_LOG_LINES = 50;

function servesPort(service: V1Service, port: number, pods: V1Pod[]): boolean {
  const ports = service.spec?.ports ?? [];
  if (ports.some((p) => p.port === port || p.targetPort === port)) return true;
  // A headless Service lets clients reach any container port of its pods.
  if (service.spec?.clusterIP === 'None') {
    return pods.some((p) =>
      (p.spec?.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.containerPort === port)),
    );
  }
  return false;
}

export class DependencyResolver {
  private readonly services = new Map<string, Promise<V1Service[]>>();

  constructor(
    private readonly kube: StepKubernetes<'diagnose'>,
    private readonly namespace: string,
  ) {}

  private servicesOf(namespace: string): Promise<V1Service[]> {
    let list = this.services.get(namespace);
    if (!list) {
      list = this.kube.dependencies.listServices(namespace).catch(() => []);
      this.services.set(namespace, list);
    }
    return list;
  }

  private async find(
    host: string,
  ): Promise<{ service?: V1Service; namespace: string; name: string; explicit: boolean } | undefined> {
    if (IPV4.test(host)) {
      const service = (await this.servicesOf(this.namespace)).find((s) => s.spec?.clusterIP === host);
      return service
        ? { service, namespace: this.namespace, name: service.metadata?.name ?? '', explicit: true }
        : undefined;
    }
    const ref = serviceName(host, this.namespace);
    if (!ref) return undefined;
    const service = (await this.servicesOf(ref.namespace)).find((s) => s.metadata?.name === ref.service);
    return { service, namespace: ref.namespace, name: ref.service, explicit: ref.explicit };
  }

  /** The line a crashed dependency died on, with its class: `disk-full: PANIC: ... No space left on device`. */
  private async lastWords(namespace: string, crashed: CrashedContainer): Promise<string | undefined> {
    let text: string;
    try {
      text = await this.kube.logs.readLog(namespace, crashed.pod, crashed.container, {
        previous: true,
        tailLines: DEPENDENCY_LOG_LINES,
      });
    } catch {
      // No previous log (it never restarted) or none readable: the pod's state is diagnosis enough.
      return undefined;
    }
    const line = decisiveLine(classifyLog(text));
    if (!line) return undefined;
    const clipped = line.line.length > 200 ? `${line.line.slice(0, 199)}…` : line.line;
    return `${line.class}: ${clipped}`;
  }

  async resolve(ref: HostReference): Promise<DependencyEvidence | undefined> {
    const found = await this.find(ref.host);
    if (!found) return undefined;
    const reference = ref.port ? `${ref.host}:${ref.port}` : ref.host;
    const { service, namespace, name } = found;
    if (!service) {
      // A dotted name that is no Service may be an outside host: only cluster forms are "missing".
      if (!found.explicit && ref.host.includes('.')) return undefined;
      return {
        reference,
        namespace,
        service: name,
        readyEndpoints: 0,
        state: 'not-found',
        ...(ref.port ? { port: ref.port } : {}),
      };
    }
    const endpoints = await this.kube.dependencies.serviceEndpoints(service);
    const selector = service.spec?.selector;
    const pods =
      selector && Object.keys(selector).length
        ? await this.kube.workloads.listPods(namespace, { matchLabels: selector })
        : [];
    const workload = pods.map(ownerWorkload).find(Boolean);
    const images = [
      ...new Set(pods.flatMap((p) => (p.spec?.containers ?? []).map((c) => c.image ?? ''))),
    ].filter(Boolean);
    const base = {
      reference,
      namespace,
      service: name,
      readyEndpoints: endpoints.ready,
      ...(workload ? { workload } : {}),
      ...(images.length ? { images } : {}),
      ...(ref.port ? { port: ref.port } : {}),
    };
    if (endpoints.ready === 0) {
      const trouble = troubleOf(pods);
      const why = trouble?.crashed ? await this.lastWords(namespace, trouble.crashed) : undefined;
      const diagnosis = trouble ? `${trouble.text}${why ? `: ${why}` : ''}` : undefined;
      return { ...base, state: 'down', ...(diagnosis ? { diagnosis } : {}) };
    }
    if (ref.port && !servesPort(service, ref.port, pods)) return { ...base, state: 'port-mismatch' };
    return { ...base, state: 'up' };
  }
}
