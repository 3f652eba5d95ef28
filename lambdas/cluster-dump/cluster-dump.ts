import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { ClusterDump, DumpLogLayout, StepEvent } from '../shared/contracts';
import { KubernetesRequestError } from '../shared/errors';
import type { ArchiveEntry, EvidenceObject, EvidenceStore } from '../shared/evidence/evidence-store';
import { evidenceKeys } from '../shared/evidence/layout';
import type { DumpResource } from '../shared/kubernetes/api-usage';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import { withoutManagedFields, type JsonObject } from '../shared/kubernetes/served-json';
import { RedactedText } from '../shared/redact';
import { withYoungGenerationHeld } from '../shared/young-generation';

export interface ClusterDumpDeps {
  kube: StepKubernetes<'cluster-dump'>;
  evidence: EvidenceStore;
  /** DUMP_MAX_BYTES: uncompressed bytes the dump may hold; beyond it the dump is cut and `truncated`. */
  maxBytes: number;
  /** DUMP_CONCURRENCY: lists and logs read at once. */
  concurrency: number;
  /** LOG_LIMIT_BYTES: bytes of each container log. */
  logLimitBytes: number;
  /**
   * DUMP_LOGS: where the pods' logs go. `archive`: one `<ns>/logs.tar.gz` per namespace whose
   * files are kubectl's `<ns>/<pod>/logs.txt`; `per-pod`: one `<ns>/<pod>/logs.txt.gz` object
   * per pod, the layout before the archive (an S3 request per pod).
   */
  logs: DumpLogLayout;
}

/** What `kubectl cluster-info dump --namespaces NS` lists per namespace, plus the workload kinds it skips. */
const NAMESPACED: readonly DumpResource[] = [
  'events',
  'services',
  'deployments',
  'replicasets',
  'statefulsets',
  'daemonsets',
  'jobs',
  'cronjobs',
  // ConfigMaps by name; Secrets by name, type and key names (never values).
  'configmaps',
  'secrets',
];

const PAGE_SIZE = 250;

/** The dump's size cap, shared by everything written concurrently. */
class Budget {
  private used = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  /** Takes `bytes` if they fit; once something did not fit, the dump is truncated. */
  take(bytes: number): boolean {
    if (this.truncated || this.used + bytes > this.max) {
      this.truncated = true;
      return false;
    }
    this.used += bytes;
    return true;
  }

  get bytes(): number {
    return this.used;
  }
}

/**
 * `work` over `items`, at most `limit` at a time, the results in the order of `items`: a slow
 * item holds back the ones after it, so what waits is bounded by `limit`.
 */
async function* inOrder<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const pending: Array<Promise<R>> = [];
  let next = 0;
  const start = () => {
    const running = work(items[next++]);
    // Awaited in turn below; until then a failure must not count as unhandled.
    running.catch(() => undefined);
    pending.push(running);
  };
  while (next < items.length && pending.length < limit) start();
  while (pending.length > 0) {
    const result = await pending.shift()!;
    if (next < items.length) start();
    yield result;
  }
}

/** Runs `work` over `items`, at most `limit` at a time (p-limit's job, without the dependency). */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface PodRef {
  name: string;
  containers: Array<{ name: string; restarted: boolean }>;
}

/** What a pod's containers logged, each log with the words kubectl's markers name it by. */
interface PodLogs {
  pod: string;
  logs: Array<{ which: string; text: string }>;
}

/**
 * Cluster Dump: `kubectl cluster-info dump --namespaces <ns>` for the incident's namespace
 * and the nodes its pods run on, in kubectl's layout (`nodes.json`, `<ns>/<resource>.json`,
 * `<ns>/<pod>/logs.txt`), each object gzip-streamed to S3 page by page so the dump never sits
 * in memory whole. Objects are written as the API server served them (minus managedFields, as
 * kubectl shows them), redacted; ConfigMaps appear by name, Secrets by name, type and key names.
 * V8's young generation is held at its size meanwhile (young-generation.ts): the dump streams,
 * and the space Lambda's flags let V8 grow it to would only hold garbage.
 */
export function clusterDump(event: StepEvent, deps: ClusterDumpDeps): Promise<ClusterDump> {
  return withYoungGenerationHeld(() => dumpNamespace(event, deps));
}

async function dumpNamespace(event: StepEvent, deps: ClusterDumpDeps): Promise<ClusterDump> {
  const { target, evidencePrefix } = event.state.incident;
  const namespace = target.namespace;
  const prefix = evidenceKeys.clusterDump(evidencePrefix);
  const budget = new Budget(deps.maxBytes);
  const written: EvidenceObject[] = [];
  const pods: PodRef[] = [];
  const nodeNames = new Set<string>();

  /** A List document streamed item by item; stops at the budget and still closes the JSON. */
  async function* listDocument(
    items: AsyncIterable<KubernetesObject>,
  ): AsyncGenerator<string | RedactedText> {
    yield '{"apiVersion":"v1","kind":"List","items":[';
    let first = true;
    for await (const item of items) {
      // Redacted here, once, so that the budget counts what is written.
      const record = RedactedText.jsonLine(withoutManagedFields(item as unknown as JsonObject));
      const separator = first ? '\n' : ',\n';
      if (!budget.take(separator.length + Buffer.byteLength(record.text))) break;
      first = false;
      yield separator;
      yield record;
    }
    yield '\n]}\n';
  }

  async function* pages(resource: DumpResource): AsyncGenerator<KubernetesObject> {
    let token: string | undefined;
    do {
      const request = { limit: PAGE_SIZE, continue: token };
      // Secrets by name, type and key names: their values never reach the dump.
      const page =
        resource === 'secrets'
          ? await deps.kube.dump.listSecretKeysPage(namespace, request)
          : await deps.kube.dump.listPage(resource, namespace, request);
      yield* page.items;
      token = page.continue;
    } while (token && !budget.truncated);
  }

  async function* podsNoting(): AsyncGenerator<KubernetesObject> {
    for await (const item of pages('pods')) {
      const pod = item as V1Pod;
      if (pod.spec?.nodeName) nodeNames.add(pod.spec.nodeName);
      const restarted = new Set(
        (pod.status?.containerStatuses ?? []).filter((s) => s.restartCount > 0).map((s) => s.name),
      );
      pods.push({
        name: pod.metadata?.name ?? '',
        containers: [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => ({
          name: c.name,
          restarted: restarted.has(c.name),
        })),
      });
      yield item;
    }
  }

  async function put(
    key: string,
    records: AsyncIterable<string | RedactedText>,
    contentType: string,
  ): Promise<void> {
    written.push(await deps.evidence.putStream(`${prefix}${key}`, records, contentType));
  }

  const json = 'application/json';
  await eachLimited(['pods' as const, ...NAMESPACED], deps.concurrency, async (resource) => {
    if (budget.truncated) return;
    await put(
      `${namespace}/${resource}.json.gz`,
      listDocument(resource === 'pods' ? podsNoting() : pages(resource)),
      json,
    );
  });

  async function* nodes(): AsyncGenerator<KubernetesObject> {
    for (const node of await deps.kube.dump.getServedNodes([...nodeNames])) yield node as KubernetesObject;
  }
  if (!budget.truncated) await put('nodes.json.gz', listDocument(nodes()), json);

  /** Every log of a pod, in the order kubectl's logs.txt has them, each as the API served it. */
  async function readLogs(pod: PodRef): Promise<PodLogs> {
    const logs: PodLogs['logs'] = [];
    for (const container of pod.containers) {
      for (const previous of container.restarted ? [true, false] : [false]) {
        const which = `${previous ? 'previous ' : ''}logs for container ${container.name} of pod ${namespace}/${pod.name}`;
        let text: string;
        try {
          text = await deps.kube.logs.readLog(namespace, pod.name, container.name, {
            previous,
            limitBytes: deps.logLimitBytes,
          });
        } catch (error) {
          // A container that has not started has no log: say so, as kubectl's dump does.
          if (!(error instanceof KubernetesRequestError)) throw error;
          text = `unable to retrieve logs: ${error.message}\n`;
        }
        logs.push({ which, text });
      }
    }
    return { pod: pod.name, logs };
  }

  /** kubectl's logs.txt: every container's log between START and END markers, as far as the budget goes. */
  function* logRecords({ logs }: PodLogs): Generator<string> {
    for (const { which, text } of logs) {
      const record = `==== START ${which} ====\n${text}${text.endsWith('\n') ? '' : '\n'}==== END ${which} ====\n`;
      if (!budget.take(Buffer.byteLength(record))) return;
      yield record;
    }
  }

  /** One tar file per pod, read `concurrency` pods at a time and written in the pods' order. */
  async function* podFiles(): AsyncGenerator<ArchiveEntry> {
    for await (const podLogs of inOrder(pods, deps.concurrency, readLogs)) {
      const records = [...logRecords(podLogs)];
      if (records.length > 0) yield { path: `${namespace}/${podLogs.pod}/logs.txt`, text: records.join('') };
      if (budget.truncated) return;
    }
  }

  if (deps.logs === 'archive' && pods.length > 0 && !budget.truncated) {
    written.push(await deps.evidence.putArchive(`${prefix}${namespace}/logs.tar.gz`, podFiles()));
  } else if (deps.logs === 'per-pod') {
    await eachLimited(pods, deps.concurrency, async (pod) => {
      if (budget.truncated) return;
      const podLogs = await readLogs(pod);
      async function* records() {
        yield* logRecords(podLogs);
      }
      await put(`${namespace}/${pod.name}/logs.txt.gz`, records(), 'text/plain; charset=utf-8');
    });
  }

  await deps.evidence.updateManifest(evidencePrefix, written);
  return { prefix, objects: written.length, bytes: budget.bytes, truncated: budget.truncated };
}
