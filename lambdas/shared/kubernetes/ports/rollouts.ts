import { PatchStrategy } from '@kubernetes/client-node';
import type { Target } from '../../contracts';
import { RESTARTED_AT_ANNOTATION, restartPatch, rfc3339Seconds, type StatusView } from '../kubectl';
import type { KubeClient } from './kube-client';
import { readWorkload, type RolloutStrategy } from './workload-kinds';

/**
 * `kubectl rollout restart`, `undo` and `status`, as kubectl 1.32 does them (kubectl.ts), for
 * whatever kind the target is: each asks the kind's strategy (workload-kinds.ts).
 */

export interface RestartOutcome {
  /**
   * The revision running before the restart; when `alreadyApplied`, the revision running now
   * (the caller's remediation record holds the one before).
   */
  revisionBefore: number;
  /** The `kubectl.kubernetes.io/restartedAt` value written. */
  restartedAt: string;
  /** metadata.generation after the patch. */
  generation: number;
  /** The template already carried this `restartedAt` (an earlier attempt's write): nothing was sent. */
  alreadyApplied?: boolean;
}

export interface RestartOptions {
  /**
   * A retry-safe restart: when the template already carries the `restartedAt` of `now`, the
   * restart took effect in an earlier attempt and is not sent again (kubectl refuses instead).
   */
  idempotent?: boolean;
}

export interface UndoOutcome {
  fromRevision: number;
  toRevision: number;
  /** kubectl's "skipped rollback (current template already matches revision N)". */
  skipped: boolean;
  /** kubectl's output: `rolled back` or the skip message. */
  message: string;
}

export interface PodReadiness {
  /** Pods of the current revision that are not being deleted. */
  total: number;
  ready: number;
  notReady: Array<{ name: string; reason: string }>;
}

export interface RolloutStatus extends StatusView {
  /** Deployment: revision annotation; StatefulSet/DaemonSet: the live template's ControllerRevision. */
  revision: number;
  pods: PodReadiness;
}

export interface Rollouts {
  /** `kubectl rollout restart` at `now`. */
  rolloutRestart(target: Target, now: Date, options?: RestartOptions): Promise<RestartOutcome>;
  /** `kubectl rollout undo [--to-revision=N]`. */
  rolloutUndo(target: Target, toRevision?: number): Promise<UndoOutcome>;
  /** One check of `kubectl rollout status`, plus the readiness of the current revision's pods. */
  rolloutStatus(target: Target): Promise<RolloutStatus>;
}

export class ClientNodeRollouts implements Rollouts {
  constructor(private readonly client: KubeClient) {}

  private async patch(
    strategy: RolloutStrategy,
    target: Target,
    body: object,
    contentType: PatchStrategy,
  ): Promise<number> {
    const { namespace, name } = target;
    const request = { namespace, name, body, fieldManager: this.client.fieldManager };
    const patched = await this.client.call(`patch ${strategy.resource} ${namespace}/${name}`, () =>
      strategy.patch(this.client.api, request, contentType),
    );
    return patched.metadata?.generation ?? 0;
  }

  async rolloutRestart(target: Target, now: Date, options: RestartOptions = {}): Promise<RestartOutcome> {
    const { strategy, workload } = await readWorkload(this.client, target);
    const restartedAt = rfc3339Seconds(now);
    const current = workload.object.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
    if (options.idempotent && current === restartedAt) {
      return {
        revisionBefore: await strategy.currentRevision(this.client, workload.object),
        restartedAt,
        generation: workload.object.metadata?.generation ?? 0,
        alreadyApplied: true,
      };
    }
    const { patch } = restartPatch(workload.kind, workload.object, now);
    const revisionBefore = await strategy.currentRevision(this.client, workload.object);
    const generation = await this.patch(strategy, target, patch, PatchStrategy.StrategicMergePatch);
    return { revisionBefore, restartedAt, generation };
  }

  async rolloutUndo(target: Target, toRevision = 0): Promise<UndoOutcome> {
    const { strategy, workload } = await readWorkload(this.client, target);
    const plan = await strategy.undo(this.client, workload.object, toRevision);
    if (plan.patch) await this.patch(strategy, target, plan.patch, plan.contentType);
    return plan.outcome;
  }

  async rolloutStatus(target: Target): Promise<RolloutStatus> {
    const { strategy, workload } = await readWorkload(this.client, target);
    return strategy.status(this.client, workload.object);
  }
}
