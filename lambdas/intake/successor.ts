/**
 * Successor executions. An alert that still fires after the execution it opened has ended (it
 * recovered and the problem came back, it escalated, it was aborted, or it died with the local
 * engine) must not be answered with nothing: the next delivery of it starts a successor. Its name
 * is derived from the ended execution's (`<name>-r1`, then `-r2`...), so retries, repeats and the
 * two members of an HA pair all name the same successor, which is started once. Cooldown is the
 * guard's business: a successor within the cooldown escalates with the evidence instead of
 * remediating again, so a human hears that the alert still fires.
 */

/** Execution names: at most 80 characters (Step Functions). */
const NAME_MAX = 80;
const GENERATION = /-r(\d+)$/;

/** 0 for the execution an alert opened, n for its n-th successor. */
export function generationOf(name: string): number {
  return Number(GENERATION.exec(name)?.[1] ?? 0);
}

/**
 * `<name>-r<n+1>`. The readable head is shortened when needed; the hash at the end of the
 * original name (the identity of the firing) is always kept whole.
 */
export function successorName(name: string, hashLength: number): string {
  const base = name.replace(GENERATION, '');
  const suffix = `-r${generationOf(name) + 1}`;
  const hash = base.slice(-hashLength);
  const head = base.slice(0, base.length - hashLength);
  return `${head.slice(0, NAME_MAX - hashLength - suffix.length)}${hash}${suffix}`;
}

/** The newest of the executions an alert is indexed to. */
export function latestExecution(names: readonly string[]): string | undefined {
  return [...names].sort((a, b) => generationOf(b) - generationOf(a))[0];
}
