import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../local/kube-sandbox/behavior';
import { startSandbox, type Sandbox } from '../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../local/kube-sandbox/store';
import type {
  Diagnostics,
  GuardDecision,
  Incident,
  StepEvent,
  Target,
  WorkflowState,
} from '../../lambdas/shared/contracts';
import { incidentId, incidentPrefix } from '../../lambdas/shared/evidence/layout';
import { localKubeConfig } from '../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../lambdas/shared/kubernetes/kubernetes-port';
import * as manifests from '../support/manifests';
import { elapse } from '../support/sandbox';

/**
 * What the step tests share: a sandbox on a manual clock (time moves only when a test says
 * so), the real adapter talking HTTP to it, and incidents shaped as Open Incident makes them.
 */

export const NS = 'one-data-alldata';
export const EXECUTION = {
  id: 'arn:aws:states:eu-west-1:123456789012:execution:IncidentResponse:3c1d2b9e-5f0a-4d7e-9b1c-2a3f4e5d6c7b',
  name: '3c1d2b9e-5f0a-4d7e-9b1c-2a3f4e5d6c7b',
  startTime: '2026-01-01T00:00:00.000Z',
};

export interface StepSandbox {
  sandbox: Sandbox;
  kube: ClientNodeKubernetes;
  /** The sandbox's time, as the steps' `now`. */
  now: () => Date;
  /** Moves sandbox time forward second by second, letting the controllers react to each. */
  advance(seconds: number): Promise<void>;
  /** A new revision, as `kubectl set image` / `kubectl apply` of a changed template make one. */
  deploy(name: string, change: { image: string; behavior?: PodBehavior }): Promise<void>;
}

export async function startStepSandbox(objects: KubeObject[]): Promise<StepSandbox> {
  const sandbox = await startSandbox({
    clock: { mode: 'manual', start: Date.parse(EXECUTION.startTime) - 10 * 60_000 },
    objects: [manifests.namespace(NS), ...objects],
  });
  await sandbox.settle();
  const kubeConfig = localKubeConfig({ yaml: sandbox.kubeconfig() });
  const kube = new ClientNodeKubernetes(kubeConfig, { requestTimeoutMs: 5000 });
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  return {
    sandbox,
    kube,
    async deploy(name, change) {
      const annotations = { [BEHAVIOR_ANNOTATION]: change.behavior ? JSON.stringify(change.behavior) : null };
      const template = {
        metadata: { annotations },
        spec: { containers: [{ name: 'api', image: change.image }] },
      };
      await apps.patchNamespacedDeployment(
        { namespace: NS, name, body: { spec: { template } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      await sandbox.settle();
    },
    now: () => new Date(sandbox.clock.now()),
    advance: (seconds) => elapse(sandbox, seconds * 1000),
  };
}

/** A Deployment as the runbooks' teams write it: one `api` container on port 8080. */
export function deployment(name: string, options: manifests.ApplicationDeploymentOptions = {}): KubeObject {
  return manifests.deployment(NS, name, {
    container: 'api',
    ...options,
    image: options.image ?? `registry.example.com/one-data/${name}:1.4.2`,
  });
}

export function target(name: string, kind: Target['kind'] = 'Deployment'): Target {
  return { namespace: NS, kind, name };
}

/** The Incident Open Incident would put at `$.incident` for this target. */
export function incident(t: Target, options: Partial<Incident['options']> = {}): Incident {
  const openedAt = EXECUTION.startTime;
  const id = incidentId(openedAt, t, EXECUTION.id);
  return {
    source: 'alertmanager',
    target: t,
    alert: {
      name: 'ServiceDown',
      severity: 'critical',
      summary: `服务 ${t.name} 不可用`,
      labels: { job: t.name },
      annotations: {},
      startsAt: '2025-12-31T23:58:00Z',
    },
    options: { dryRun: false, waitSeconds: 60, verifyTimeoutSeconds: 300, allowRollback: true, ...options },
    id,
    openedAt,
    evidencePrefix: incidentPrefix(openedAt, id),
  };
}

export function stepEvent(state: WorkflowState, params?: Record<string, string>): StepEvent {
  return { state, execution: EXECUTION, ...(params ? { params } : {}) };
}

/** `$.diagnostics` as Quick Diagnostics reports a workload at `revision` (only what later steps read). */
export function diagnosticsAt(t: Target, revision: number, previousRevision?: number): Diagnostics {
  return {
    workload: {
      kind: t.kind,
      namespace: t.namespace,
      name: t.name,
      uid: 'b1e5c0de-0000-4000-8000-000000000001',
      revision,
      ...(previousRevision !== undefined ? { previousRevision } : {}),
      replicas: 2,
      readyReplicas: 0,
      updatedReplicas: 2,
      availableReplicas: 0,
      paused: false,
      conditions: [],
    },
    pods: [],
    nodes: [],
    evidence: { diagnostics: `${incident(t).evidencePrefix}diagnostics.json`, logs: [] },
  };
}

/** What Guard says when it allowed remediation and holds the lock. */
export function allowed(t: Target): GuardDecision {
  return {
    allowed: true,
    detail: 'Lock acquired.',
    lock: {
      namespace: t.namespace,
      name: `eks-incident-deployment-${t.name}`,
      holderIdentity: EXECUTION.id,
      acquired: true,
    },
  };
}

/** Takes the Lease `allowed(t)` names for EXECUTION, as Guard would have before a remediation. */
export async function holdLock(s: StepSandbox, t: Target, ttlSeconds = 3600): Promise<void> {
  const { lock } = allowed(t);
  await s.kube.lock.acquireLease(lock!.namespace, lock!.name, EXECUTION.id, ttlSeconds, s.now());
}
