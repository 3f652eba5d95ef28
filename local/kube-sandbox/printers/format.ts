/*
 * What the printers format alike (k8s.io/apimachinery/pkg/util/duration, pkg/labels, metav1
 * selectors, printers.go's helpers): ages, labels, selectors, container lists, access modes.
 */
import type { KubeObject } from '../store';

export type Cell = string | number | boolean;

/**
 * duration.HumanDuration: the short, lossy age kubectl prints ("5s", "3m20s", "2d5h").
 * Up to 2 s in the future still reads "0s", to tolerate clock skew.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: the age of a timestamp, `<unknown>` when it is unset. */
export function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now - at);
}

/** labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels![k]}`).join(',');
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** The string form of metav1.LabelSelectorAsSelector: requirements sorted by key. */
export function selectorString(selector: LabelSelector | undefined): string {
  const requirements: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key, text: `${key}=${value}` });
  }
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text =
      e.operator === 'In'
        ? `${e.key} in (${values})`
        : e.operator === 'NotIn'
          ? `${e.key} notin (${values})`
          : e.operator === 'Exists'
            ? e.key
            : `!${e.key}`;
    requirements.push({ key: e.key, text });
  }
  return requirements
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: like selectorString, `<none>` when it selects everything. */
export function formatSelector(selector: LabelSelector | undefined): string {
  return selectorString(selector) || '<none>';
}

interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
}

export interface PodSpecView {
  containers?: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  readinessGates?: Array<{ conditionType: string }>;
}

/** layoutContainerCells: container names and images, comma-separated. */
export function containerCells(spec: PodSpecView | undefined): [string, string] {
  const containers = spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

export function templateSpec(obj: KubeObject): PodSpecView | undefined {
  return (obj.spec as { template?: { spec?: PodSpecView } } | undefined)?.template?.spec;
}

export type Numbers = Record<string, number | undefined>;

export function num(value: number | undefined): number {
  return value ?? 0;
}

/** A list of at most three, then ` + N more...` (formatEndpoints, formatHosts, listWithMoreString). */
export function firstThree(items: string[], empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, 3).join(',');
  return items.length > 3 ? `${shown} + ${items.length - 3} more...` : shown;
}

const ACCESS_MODES: Array<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** helper.GetAccessModesAsString: the short forms in a fixed order, without repeats. */
export function accessModesString(modes: string[] | undefined): string {
  const wanted = new Set(modes ?? []);
  return ACCESS_MODES.filter(([mode]) => wanted.has(mode))
    .map(([, short]) => short)
    .join(',');
}
