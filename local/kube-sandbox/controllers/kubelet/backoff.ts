/**
 * The kubelet's back-off (client-go flowcontrol.Backoff) for crash loops and image pulls: 10 s
 * doubling to 5 min, reset after 10 min of calm; and its delays as Go prints a time.Duration.
 */
import type { KubeletState } from './state';

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

export interface BackOffEntry {
  delayMs: number;
  lastUpdate: number;
}

/** A Go time.Duration as `%v` prints it: 800ms, 1.234s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

export function nextBackOff(
  k: KubeletState,
  entry: BackOffEntry | undefined,
  eventTime: number,
): BackOffEntry {
  const expired = !entry || eventTime - entry.lastUpdate > 2 * MAX_BACKOFF_MS;
  return {
    delayMs: expired ? INITIAL_BACKOFF_MS : Math.min(entry.delayMs * 2, MAX_BACKOFF_MS),
    lastUpdate: k.clock.now(),
  };
}
