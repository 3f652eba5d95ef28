import type { CoreV1Event, V1Job } from '@kubernetes/client-node';
import { allInOrder } from '../../concurrency';
import type { Target } from '../../contracts';
import { isControlledBy, sortEvents, toCoreEvent } from '../kubectl';
import { servedEventSubject, servedEventTime, type JsonObject } from '../served-json';
import type { Jobs } from './jobs';
import { escapeRegExp, type KubeClient } from './kube-client';
import { isBatchKind, readWorkload } from './workload-kinds';

/** Events about a target, from core/v1 and events.k8s.io/v1, in `kubectl events` order. */

/** An object events may be about; a RegExp name also matches objects that no longer exist. */
export interface EventSubject {
  kind: string;
  name: string | RegExp;
}

export interface EventReader {
  /** The workload, its ReplicaSets/ControllerRevisions and its pods, present and past. */
  eventSubjects(target: Target): Promise<EventSubject[]>;
  /** Events about `subjects` from core/v1 and events.k8s.io/v1, once each, in `kubectl events` order. */
  listEvents(namespace: string, subjects: EventSubject[]): Promise<CoreV1Event[]>;
  /**
   * The same events as the server sent them (plain JSON, for evidence), each in the version it
   * was read from: core/v1 when both APIs serve it (as a real server does), else events.k8s.io/v1.
   */
  listServedEvents(namespace: string, subjects: EventSubject[]): Promise<JsonObject[]>;
}

/** The reads of Jobs a Job's or CronJob's event subjects need. */
export type BatchReads = Pick<Jobs, 'getJob' | 'getCronJob' | 'listJobs'>;

/**
 * The Jobs whose pods a batch target's events may be about, and the subjects besides the target
 * they add: a Job is its own; a CronJob has the Jobs it controls.
 */
const BATCH_JOBS: Record<
  'Job' | 'CronJob',
  (jobs: BatchReads, target: Target) => Promise<{ jobs: V1Job[]; subjects: EventSubject[] }>
> = {
  Job: async (jobs, target) => {
    const job = await jobs.getJob(target.namespace, target.name);
    return { jobs: job ? [job] : [], subjects: [] };
  },
  CronJob: async (jobs, target) => {
    const cronJob = await jobs.getCronJob(target.namespace, target.name);
    const owned = cronJob
      ? (await jobs.listJobs(target.namespace)).filter((j) => isControlledBy(j, cronJob))
      : [];
    return { jobs: owned, subjects: owned.map((j) => ({ kind: 'Job', name: j.metadata?.name ?? '' })) };
  },
};

export class ClientNodeEventReader implements EventReader {
  constructor(
    private readonly client: KubeClient,
    private readonly jobs: BatchReads,
  ) {}

  async eventSubjects(target: Target): Promise<EventSubject[]> {
    if (isBatchKind(target.kind)) return this.batchSubjects(target, target.kind);
    const { strategy, workload } = await readWorkload(this.client, target);
    return strategy.eventSubjects(this.client, workload.object);
  }

  /** A Job, its pods (present and gone); a CronJob, its Jobs and their pods. */
  private async batchSubjects(target: Target, kind: 'Job' | 'CronJob'): Promise<EventSubject[]> {
    const { jobs, subjects } = await BATCH_JOBS[kind](this.jobs, target);
    return [
      { kind, name: target.name },
      ...subjects,
      // Job pods are `<job>-<5 chars>`; gone ones still have their events.
      ...jobs.map((job) => ({
        kind: 'Pod',
        name: new RegExp(`^${escapeRegExp(job.metadata?.name ?? '')}-(\\d+-)?[a-z0-9]{5}$`),
      })),
    ];
  }

  async listEvents(namespace: string, subjects: EventSubject[]): Promise<CoreV1Event[]> {
    const [core, v1] = await allInOrder([
      this.client.listAll(`list events ${namespace}`, (params) =>
        this.client.api.core.listNamespacedEvent({ namespace, ...params }),
      ),
      this.client.listAll(`list events.events.k8s.io ${namespace}`, (params) =>
        this.client.api.events.listNamespacedEvent({ namespace, ...params }),
      ),
    ]);
    // On a real server both lists hold the same objects; the uid keeps each event once.
    const byUid = new Map<string, CoreV1Event>();
    for (const event of [...core, ...v1.map(toCoreEvent)]) {
      const uid = event.metadata?.uid ?? `${event.metadata?.namespace}/${event.metadata?.name}`;
      if (!byUid.has(uid)) byUid.set(uid, event);
    }
    const about = (event: CoreV1Event): boolean =>
      subjects.some(
        (s) =>
          s.kind === event.involvedObject?.kind &&
          (typeof s.name === 'string'
            ? s.name === event.involvedObject?.name
            : s.name.test(event.involvedObject?.name ?? '')),
      );
    return sortEvents([...byUid.values()].filter(about));
  }

  async listServedEvents(namespace: string, subjects: EventSubject[]): Promise<JsonObject[]> {
    const [core, v1] = await allInOrder([
      this.client.listAllServed(`list events ${namespace}`, (params) =>
        this.client.api.core.listNamespacedEventWithHttpInfo({ namespace, ...params }),
      ),
      this.client.listAllServed(`list events.events.k8s.io ${namespace}`, (params) =>
        this.client.api.events.listNamespacedEventWithHttpInfo({ namespace, ...params }),
      ),
    ]);
    // List items carry no apiVersion/kind; each event says which version it is, as kubectl prints it.
    const byUid = new Map<string, JsonObject>();
    const add = (apiVersion: string) => (event: JsonObject) => {
      const meta = (event.metadata ?? {}) as JsonObject;
      const uid = (meta.uid as string | undefined) ?? `${String(meta.namespace)}/${String(meta.name)}`;
      if (!byUid.has(uid)) byUid.set(uid, { apiVersion, kind: 'Event', ...event });
    };
    core.forEach(add('v1'));
    v1.forEach(add('events.k8s.io/v1'));
    const about = (event: JsonObject): boolean => {
      const { kind, name } = servedEventSubject(event);
      return subjects.some(
        (s) => s.kind === kind && (typeof s.name === 'string' ? s.name === name : s.name.test(name ?? '')),
      );
    };
    // kubectl's sort is not stable; ties keep the order the API listed them in.
    return [...byUid.values()]
      .filter(about)
      .map((event, index) => ({ event, index, at: servedEventTime(event) }))
      .sort((a, b) => a.at - b.at || a.index - b.index)
      .map(({ event }) => event);
  }
}
