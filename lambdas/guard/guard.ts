import { createHash } from 'node:crypto';
import type { V1Lease } from '@kubernetes/client-node';
import {
  workloadTarget,
  type GuardDecision,
  type LockRelease,
  type StepEvent,
  type StormRoster,
  type Target,
} from '../shared/contracts';
import { allInOrder } from '../shared/concurrency';
import { ConfigurationError } from '../shared/errors';
import type { ExecutionLiveness } from '../shared/execution-liveness';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import { RESTARTED_AT_ANNOTATION } from '../shared/kubernetes/kubectl';
import { lastRemediation, remediationsOf } from '../shared/kubernetes/remediation-record';
import { silenceIncident, type SilencePort } from '../shared/alertmanager-silences';
import { phaseLeaseSeconds } from '../shared/lock-window';
import { policyFor, type RemediationPolicy } from '../shared/approval/policy';
import { reserveRemediation, stormDetail, stormRoster, type StormBrake } from './storm-brake';

export interface GuardConfig {
  /** ALLOWED_NAMESPACES */
  allowedNamespaces: string[];
  /** ALLOWED_WORKLOADS: `namespace/Kind/name`, each part may be `*`. */
  allowedWorkloads?: string[];
  /** COOLDOWN_SECONDS */
  cooldownSeconds: number;
  /** LOCK_TTL_SECONDS: the longest the Lease is taken for (it is sized to the remediation's deadline). */
  lockTtlSeconds: number;
  /** REMEDIATION_BUDGET and its ledger's namespace: the storm brake. */
  stormBrake: StormBrake;
  /** REMEDIATION_POLICY: who decides each action (auto, approve, never), per namespace and workload. */
  remediationPolicy: RemediationPolicy;
}

export interface GuardDeps {
  kube: StepKubernetes<'guard'>;
  config: GuardConfig;
  now: () => Date;
  /**
   * Whether a lock's holder execution still runs, to take over the lock of one that ended.
   * Without it a held lock is only ever taken once its Lease lapses.
   */
  executions?: ExecutionLiveness;
  /**
   * Alertmanager, to silence the incident's alerts while it is remediated (and the evidence
   * bucket its comment links), with Alertmanager's clock: the wall clock, which the cluster's
   * (scaled, in a rehearsal) need not be. Unset: no silences.
   */
  silences?: { port: SilencePort; evidenceBucket: string; now: () => Date };
}

/** The lock holder: the execution's ARN, which Step Functions (and the local engine) can look up. */
export function holderOf(event: StepEvent): string {
  return event.execution.id;
}

const LEASE_NAME_MAX = 63;

/**
 * The per-workload Lease: `eks-incident-<kind>-<name>` in the workload's namespace. Names
 * too long for a label-sized name keep a readable head and a hash of the whole, so two long
 * names never share a lock.
 */
export function lockName(target: Target): string {
  const full = `eks-incident-${target.kind.toLowerCase()}-${target.name}`;
  if (full.length <= LEASE_NAME_MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const head = full.slice(0, LEASE_NAME_MAX - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}

export function workloadAllowed(target: Target, patterns: string[]): boolean {
  return patterns.some((pattern) => {
    const parts = pattern.split('/');
    if (parts.length !== 3) {
      throw new ConfigurationError(`ALLOWED_WORKLOADS entry "${pattern}" is not namespace/Kind/name`);
    }
    const [namespace, kind, name] = parts;
    return (
      (namespace === '*' || namespace === target.namespace) &&
      (kind === '*' || kind.toLowerCase() === target.kind.toLowerCase()) &&
      (name === '*' || name === target.name)
    );
  });
}

function describe(target: Target): string {
  return `${target.kind} ${target.namespace}/${target.name}`;
}

/**
 * Guard (acquire): whether the workflow may touch the workload. The checks that need no
 * cluster come first, so a dry run or a workload outside the allow-lists makes no request
 * at all; then the workload (paused? remediated within the cooldown, by the Lease's record or
 * the template's `restartedAt`?), and last the Lease, so the lock is only taken when the restart
 * will happen. A Lease whose holder execution has ended is taken over at once.
 */
export async function acquire(event: StepEvent, deps: GuardDeps): Promise<GuardDecision> {
  const { incident } = event.state;
  const target = workloadTarget(incident.target);
  const { config } = deps;
  if (incident.options.dryRun) {
    return {
      allowed: false,
      reason: 'dry-run',
      detail: 'Dry run: no remediation; nothing in the cluster was changed.',
    };
  }
  if (!config.allowedNamespaces.includes(target.namespace)) {
    return {
      allowed: false,
      reason: 'namespace-not-allowed',
      detail: `Namespace "${target.namespace}" is not in ALLOWED_NAMESPACES (${config.allowedNamespaces.join(', ')}).`,
    };
  }
  if (config.allowedWorkloads && !workloadAllowed(target, config.allowedWorkloads)) {
    return {
      allowed: false,
      reason: 'workload-not-allowed',
      detail: `${describe(target)} matches no ALLOWED_WORKLOADS entry.`,
    };
  }
  const policy = policyFor(target, config.remediationPolicy);
  const action = event.state.health?.before === 'rollback' ? 'rollback' : 'restart';
  if (policy[action] === 'never') {
    return {
      allowed: false,
      reason: 'policy',
      detail: `The remediation policy says never ${action === 'rollback' ? 'roll back' : 'restart'} ${describe(target)}: a human decides.`,
      policy,
    };
  }
  const name = lockName(target);
  // Two reads, side by side: the workload (paused? restarted by hand?) and its lock.
  const [workload, current] = await allInOrder([
    deps.kube.workloads.getWorkload(target),
    deps.kube.lock.getLease(target.namespace, name),
  ]);
  if (workload.kind === 'Deployment' && workload.object.spec?.paused) {
    return {
      allowed: false,
      reason: 'paused',
      detail: `${describe(target)} is paused: a human is in control of its rollout.`,
    };
  }
  const now = deps.now();
  const cooldown = cooldownRefusal(
    workload.object.spec?.template?.metadata?.annotations,
    current,
    now,
    config,
  );
  if (cooldown) return { allowed: false, reason: 'cooldown', detail: `${describe(target)} ${cooldown}` };
  const holder = holderOf(event);
  // A wait for approval comes before the remediation's own deadline: the lock covers both.
  const approvalWait = policy[action] === 'approve' ? config.remediationPolicy.timeoutSeconds : 0;
  const ttl = Math.min(config.lockTtlSeconds, phaseLeaseSeconds(incident.options) + approvalWait);
  const other = current?.spec?.holderIdentity;
  // A holder whose execution has ended (killed, timed out, aborted) will never release its lock.
  const takeOverFrom =
    other && other !== holder && (await deps.executions?.state(other)) === 'ended' ? other : undefined;
  const lease = await deps.kube.lock.acquireLease(target.namespace, name, holder, ttl, now, { takeOverFrom });
  const lock = {
    namespace: target.namespace,
    name,
    holderIdentity: lease.holderIdentity,
    acquired: lease.acquired,
  };
  if (!lease.acquired) {
    return {
      allowed: false,
      reason: 'locked',
      detail: `Another execution (${lease.holderIdentity}) holds the lock ${target.namespace}/${name} until ${lease.expiresAt}.`,
      lock,
    };
  }
  // Last, with the lock held: only the execution that will act takes a slot of the budget.
  const budget = await reserveRemediation(event, deps.kube, config.stormBrake, now);
  if (!budget.granted) {
    const { granted: _, ...storm } = budget;
    return {
      allowed: false,
      reason: 'storm',
      detail: stormDetail(budget, config.stormBrake),
      lock,
      storm,
      policy,
    };
  }
  // Quiet pages while the workflow works; a silence that cannot be made is recorded, not fatal.
  const silence = deps.silences
    ? await silenceIncident(
        deps.silences.port,
        incident,
        { now: deps.silences.now(), seconds: ttl },
        `s3://${deps.silences.evidenceBucket}/${incident.evidencePrefix}`,
      )
    : undefined;
  return {
    ...(silence ? { silence } : {}),
    allowed: true,
    detail: takeOverFrom
      ? `Lock ${target.namespace}/${name} taken over from ${takeOverFrom}, whose execution has ended; held until ${lease.expiresAt}.`
      : `Lock ${target.namespace}/${name} acquired until ${lease.expiresAt}.`,
    lock,
    decidedAt: now.toISOString(),
    policy,
  };
}

/**
 * Why the workload is within the cooldown, or undefined. The last action comes from the Lease's
 * remediation record (a rollback cannot erase it) and from the template's `restartedAt` (a
 * restart by hand counts too), whichever is later.
 */
function cooldownRefusal(
  annotations: Record<string, string> | undefined,
  lease: V1Lease | undefined,
  now: Date,
  config: GuardConfig,
): string | undefined {
  const recorded = lastRemediation(remediationsOf(lease));
  const restartedAt = annotations?.[RESTARTED_AT_ANNOTATION];
  const candidates = [
    ...(recorded
      ? [
          {
            at: recorded.at,
            what: `${recorded.action === 'undo' ? 'rolled back' : 'restarted'} by ${recorded.execution}`,
          },
        ]
      : []),
    ...(restartedAt && !Number.isNaN(Date.parse(restartedAt))
      ? [{ at: restartedAt, what: 'restarted' }]
      : []),
  ].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const last = candidates[0];
  if (!last) return undefined;
  const since = (now.getTime() - Date.parse(last.at)) / 1000;
  if (since >= config.cooldownSeconds) return undefined;
  return `was last ${last.what} at ${last.at} (${Math.max(0, Math.floor(since))} s ago), within the cooldown of ${config.cooldownSeconds} s: remediating again would not help.`;
}

/**
 * Release Lock: gives the Lease back if this execution holds it. When Guard did not finish
 * (its error was caught), the lock may still be ours, so the deterministic name is tried;
 * releaseLease only ever touches a Lease whose holder is this execution.
 */
export async function release(event: StepEvent, deps: GuardDeps): Promise<LockRelease> {
  const { incident, guard } = event.state;
  if (incident.options.dryRun) return { released: false, detail: 'Dry run: no lock was taken.' };
  if (incident.target.kind === 'Namespace') {
    return { released: false, detail: 'A namespace-level incident takes no lock.' };
  }
  const { target } = incident;
  if (guard && !guard.lock?.acquired)
    return { released: false, detail: 'No lock was taken by this execution.' };
  if (!deps.config.allowedNamespaces.includes(target.namespace)) {
    return { released: false, detail: `No lock can exist outside ALLOWED_NAMESPACES.` };
  }
  const silence = await expireSilence(guard, deps);
  const name = guard?.lock?.name ?? lockName(target);
  const released = await deps.kube.lock.releaseLease(target.namespace, name, holderOf(event), deps.now());
  return {
    ...(silence ? { silence } : {}),
    released,
    detail: released
      ? `Lock ${target.namespace}/${name} released.`
      : `Lock ${target.namespace}/${name} was not held by this execution.`,
  };
}

/** Expires the silence Guard created: the flow has ended, so the alerts page again if they still fire. */
async function expireSilence(
  guard: GuardDecision | undefined,
  deps: GuardDeps,
): Promise<LockRelease['silence'] | undefined> {
  const id = guard?.silence?.id;
  if (!id || !deps.silences) return undefined;
  try {
    await deps.silences.port.expire(id);
    return { id, expired: true };
  } catch (error) {
    return { id, expired: false, error: (error as Error).message };
  }
}

/** The guard λ: `params.action` says acquire or release. */
export async function guard(
  event: StepEvent,
  deps: GuardDeps,
): Promise<GuardDecision | LockRelease | StormRoster> {
  const action = event.params?.action;
  if (action === 'acquire') return acquire(event, deps);
  if (action === 'release') return release(event, deps);
  if (action === 'storm') return stormRoster(event, deps.kube, deps.config.stormBrake, deps.now());
  throw new ConfigurationError(
    `guard: unknown action "${String(action)}" (expected "acquire", "release" or "storm")`,
  );
}
