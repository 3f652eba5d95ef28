import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { LedgerContentionError, LockLostError } from '../../errors';
import {
  REMEDIATIONS_ANNOTATION,
  remediationsOf,
  withRemediation,
  type RemediationEntry,
} from '../remediation-record';
import { isConflict, isNotFound, type KubeClient } from './kube-client';

/**
 * The per-workload lock, its remediation record, and the storm brake's ledger: Leases
 * (coordination.k8s.io/v1), written with the resourceVersion read as precondition.
 */

export interface AcquireOptions {
  /**
   * Take the Lease over from this holder even before it expires: the caller knows the holder's
   * execution is no longer running.
   */
  takeOverFrom?: string;
}

export interface LeaseOutcome {
  acquired: boolean;
  /** Who holds the lease now (us when acquired). */
  holderIdentity: string;
  /** When the holder's claim lapses unless renewed. */
  expiresAt: string;
}

export interface LeaseLock {
  getLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  /** Takes the Lease for `holder`: creates it, renews our own, or takes over an expired one. */
  acquireLease(
    namespace: string,
    name: string,
    holder: string,
    ttlSeconds: number,
    now: Date,
    options?: AcquireOptions,
  ): Promise<LeaseOutcome>;
  /**
   * Writes `entry` into the remediation record of the Lease `holder` holds (replacing that
   * execution's entry for the same action). LockLostError when the Lease is not `holder`'s.
   */
  recordRemediation(namespace: string, name: string, holder: string, entry: RemediationEntry): Promise<void>;
  /**
   * Compare-and-swap of one annotation of a Lease that nobody holds (a shared ledger): reads it,
   * lets `update` compute the new value from the current one, and writes it with the
   * resourceVersion read as precondition (creating the Lease if there is none), again and
   * again until no other writer came in between. Returns what `update` returned with the write
   * that won. LedgerContentionError after `attempts` lost writes.
   */
  updateLeaseAnnotation<T>(
    namespace: string,
    name: string,
    key: string,
    update: (current: string | undefined) => { value: string; result: T },
    attempts?: number,
  ): Promise<T>;
  /** Gives the Lease up if `holder` holds it; false when it was not ours (or is gone). */
  releaseLease(namespace: string, name: string, holder: string, now: Date): Promise<boolean>;
}

function leaseExpiry(lease: V1Lease): number {
  const spec = lease.spec ?? {};
  const renewed = Date.parse(String(spec.renewTime ?? spec.acquireTime ?? ''));
  if (Number.isNaN(renewed)) return 0;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000;
}

/** The Lease with one annotation set, everything else (resourceVersion included) as read. */
function withAnnotation(lease: V1Lease, key: string, value: string): V1Lease {
  return {
    ...lease,
    metadata: { ...lease.metadata, annotations: { ...lease.metadata?.annotations, [key]: value } },
  };
}

export class ClientNodeLeaseLock implements LeaseLock {
  constructor(private readonly client: KubeClient) {}

  async getLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.client.call(`get leases.coordination.k8s.io ${namespace}/${name}`, () =>
        this.client.api.coordination.readNamespacedLease({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private outcome(lease: V1Lease, holder: string): LeaseOutcome {
    const holderIdentity = lease.spec?.holderIdentity ?? '';
    return {
      acquired: holderIdentity === holder,
      holderIdentity,
      expiresAt: new Date(leaseExpiry(lease)).toISOString(),
    };
  }

  /** What the lease looks like after a write we lost: somebody else's. */
  private async lost(namespace: string, name: string, holder: string): Promise<LeaseOutcome> {
    const lease = await this.getLease(namespace, name);
    if (!lease) return { acquired: false, holderIdentity: '', expiresAt: new Date(0).toISOString() };
    return { ...this.outcome(lease, holder), acquired: false };
  }

  async acquireLease(
    namespace: string,
    name: string,
    holder: string,
    ttlSeconds: number,
    now: Date,
    options: AcquireOptions = {},
  ): Promise<LeaseOutcome> {
    const stamp = new V1MicroTime(now.getTime());
    const current = await this.getLease(namespace, name);
    if (!current) {
      try {
        const created = await this.create(namespace, name, {
          metadata: { name, namespace },
          spec: {
            holderIdentity: holder,
            leaseDurationSeconds: ttlSeconds,
            acquireTime: stamp,
            renewTime: stamp,
            leaseTransitions: 0,
          },
        });
        return this.outcome(created, holder);
      } catch (error) {
        if (isConflict(error)) return this.lost(namespace, name, holder);
        throw error;
      }
    }
    const spec = current.spec ?? {};
    const ours = spec.holderIdentity === holder;
    const free =
      !spec.holderIdentity ||
      leaseExpiry(current) <= now.getTime() ||
      (options.takeOverFrom !== undefined && spec.holderIdentity === options.takeOverFrom);
    if (!ours && !free) return this.outcome(current, holder);
    const next: V1Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: holder,
        leaseDurationSeconds: ttlSeconds,
        renewTime: stamp,
        ...(ours ? {} : { acquireTime: stamp, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      // The resourceVersion read above is the precondition: of two takers, one gets 409.
      const updated = await this.replace(namespace, name, next);
      return this.outcome(updated, holder);
    } catch (error) {
      if (isConflict(error)) return this.lost(namespace, name, holder);
      throw error;
    }
  }

  async recordRemediation(
    namespace: string,
    name: string,
    holder: string,
    entry: RemediationEntry,
  ): Promise<void> {
    // A conflict is a concurrent write (our own renewal from another step cannot overlap, but a
    // human's edit can): read again and retry a few times.
    for (let attempt = 0; ; attempt++) {
      const current = await this.getLease(namespace, name);
      if (!current || current.spec?.holderIdentity !== holder) {
        throw new LockLostError(
          `the lock ${namespace}/${name} is held by ${current?.spec?.holderIdentity || 'nobody'}, not this execution`,
        );
      }
      const next = withAnnotation(
        current,
        REMEDIATIONS_ANNOTATION,
        JSON.stringify(withRemediation(remediationsOf(current), entry)),
      );
      try {
        await this.replace(namespace, name, next);
        return;
      } catch (error) {
        if (!isConflict(error) || attempt >= 2) throw error;
      }
    }
  }

  async updateLeaseAnnotation<T>(
    namespace: string,
    name: string,
    key: string,
    update: (current: string | undefined) => { value: string; result: T },
    attempts = 40,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getLease(namespace, name);
      const { value, result } = update(current?.metadata?.annotations?.[key]);
      try {
        if (!current) {
          await this.create(namespace, name, {
            metadata: { name, namespace, annotations: { [key]: value } },
            spec: {},
          });
        } else {
          const next = withAnnotation(current, key, value);
          // The resourceVersion read above is the precondition: of two writers, one gets 409.
          await this.replace(namespace, name, next);
        }
        return result;
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (attempt >= attempts) {
          throw new LedgerContentionError(
            `${namespace}/${name}: ${attempts} writes in a row lost to concurrent writers`,
          );
        }
        // Spread the contenders out, so a burst of executions does not collide in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt, 5)));
      }
    }
  }

  async releaseLease(namespace: string, name: string, holder: string, now: Date): Promise<boolean> {
    const current = await this.getLease(namespace, name);
    if (!current || current.spec?.holderIdentity !== holder) return false;
    // As client-go's leader election releases: no holder, expired, transitions kept.
    const next: V1Lease = {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: undefined,
        leaseDurationSeconds: 1,
        renewTime: new V1MicroTime(now.getTime()),
      },
    };
    try {
      await this.replace(namespace, name, next);
      return true;
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) return false;
      throw error;
    }
  }

  private create(namespace: string, name: string, body: V1Lease): Promise<V1Lease> {
    return this.client.call(`create leases.coordination.k8s.io ${namespace}/${name}`, () =>
      this.client.api.coordination.createNamespacedLease({
        namespace,
        fieldManager: this.client.fieldManager,
        body,
      }),
    );
  }

  /** A write of the Lease as read: its resourceVersion is the precondition, so a concurrent writer gets 409. */
  private replace(namespace: string, name: string, body: V1Lease): Promise<V1Lease> {
    return this.client.call(`update leases.coordination.k8s.io ${namespace}/${name}`, () =>
      this.client.api.coordination.replaceNamespacedLease({
        namespace,
        name,
        body,
        fieldManager: this.client.fieldManager,
      }),
    );
  }
}
