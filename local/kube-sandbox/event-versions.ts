import type { KubeObject } from './store';

/**
 * Events are stored once (core/v1, as etcd holds them) and served in two versions. These
 * are the API server's conversions between core/v1 Event and events.k8s.io/v1 Event.
 */
export function toEventsV1(e: KubeObject): KubeObject {
  const source = (e.source ?? {}) as { component?: string; host?: string };
  const series = e.series as { count?: number; lastObservedTime?: string } | undefined;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: e.metadata,
    eventTime: e.eventTime ?? null,
    ...(series ? { series: { count: series.count, lastObservedTime: series.lastObservedTime } } : {}),
    reportingController: (e.reportingComponent as string) || source.component || '',
    reportingInstance: (e.reportingInstance as string) || source.host || '',
    ...(e.action ? { action: e.action } : {}),
    reason: e.reason,
    regarding: e.involvedObject,
    ...(e.related ? { related: e.related } : {}),
    note: e.message,
    type: e.type,
    ...(source.component || source.host ? { deprecatedSource: source } : {}),
    deprecatedFirstTimestamp: e.firstTimestamp ?? null,
    deprecatedLastTimestamp: e.lastTimestamp ?? null,
    deprecatedCount: e.count ?? 0,
  };
}

export function fromEventsV1(e: KubeObject): KubeObject {
  const series = e.series as { count?: number; lastObservedTime?: string } | undefined;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: e.regarding ?? {},
    reason: e.reason,
    message: e.note,
    source: e.deprecatedSource ?? {},
    firstTimestamp: e.deprecatedFirstTimestamp ?? null,
    lastTimestamp: e.deprecatedLastTimestamp ?? null,
    count: e.deprecatedCount ?? 0,
    type: e.type,
    eventTime: e.eventTime ?? null,
    ...(series ? { series } : {}),
    ...(e.action ? { action: e.action } : {}),
    ...(e.related ? { related: e.related } : {}),
    reportingComponent: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
  };
}
