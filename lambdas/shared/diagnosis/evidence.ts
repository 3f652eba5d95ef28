import type { DependencyFinding } from '../contracts';

/**
 * What the diagnosis rules look at: Quick Diagnostics gathers it from the cluster
 * (lambdas/diagnose/gather.ts), `rules test` can replay it from a stored diagnostics.json.
 * Plain JSON, so a rule can be tested against a hand-written or stored copy.
 */

export interface ContainerEvidence {
  pod: string;
  container: string;
  /** An init container (runs before the app containers; the pod waits for it). */
  init: boolean;
  /** The workload revision the pod runs, when known. */
  revision?: number;
  running: boolean;
  ready: boolean;
  restartCount: number;
  waitingReason?: string;
  waitingMessage?: string;
  /** The last termination: the current state's if terminated, else `lastState`. */
  termination?: {
    reason?: string;
    exitCode?: number;
    signal?: string;
    message?: string;
    finishedAt?: string;
  };
  /** Literal env values (never from Secrets or ConfigMaps), for dependency names like DB_HOST. */
  env?: Record<string, string>;
  ports?: number[];
}

export interface LogEvidence {
  pod: string;
  container: string;
  previous: boolean;
  init?: boolean;
  text: string;
}

export interface EventEvidence {
  /** The kind and name of the object the event is about. */
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  lastSeen?: string;
}

export interface ConditionEvidence {
  /** `Pod` or `Node`. */
  on: 'Pod' | 'Node';
  name: string;
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface RevisionEvidence {
  revision: number;
  current: boolean;
  /** Pods of this revision now, and how many are ready. */
  pods: number;
  readyPods: number;
  restarts: number;
  /** True when the revision served: ready replicas, or pods that ran without restarts. */
  healthy?: boolean;
  createdAt?: string;
  images: string[];
}

/** A ConfigMap, Secret or PersistentVolumeClaim a pod references, and whether it is there. */
export interface ReferenceEvidence {
  kind: 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';
  name: string;
  /** The key referenced (env valueFrom, projected items), when one is. */
  key?: string;
  optional: boolean;
  /** `missing`, `missing-key`, `present`; for claims also `Pending` and `Lost`. */
  state: 'present' | 'missing' | 'missing-key' | 'Pending' | 'Lost' | 'Bound' | 'unknown';
  /** Who references it: `pod/container` or `pod` (volumes). */
  usedBy: string;
}

export interface DependencyEvidence extends DependencyFinding {
  /** `down` (no ready endpoints), `up`, `not-found` (no such Service), `port-mismatch`. */
  state: 'down' | 'up' | 'not-found' | 'port-mismatch';
  /** The port the line named, when it named one. */
  port?: number;
  /** The images its pods run: what software it is, whatever its Service is called. */
  images?: string[];
}

/** A Service that selects the target's pods, checked against their container ports. */
export interface ServiceEvidence {
  name: string;
  readyEndpoints: number;
  /** Service ports whose targetPort matches no containerPort of the selected pods. */
  unmatchedPorts: Array<{ port: number; targetPort: string | number }>;
}

export interface DiagnosisEvidence {
  target: { namespace: string; kind: string; name: string };
  containers: ContainerEvidence[];
  logs: LogEvidence[];
  events: EventEvidence[];
  conditions: ConditionEvidence[];
  revisions: RevisionEvidence[];
  references: ReferenceEvidence[];
  dependencies: DependencyEvidence[];
  services: ServiceEvidence[];
  /** Workload-level facts: ready/desired replicas, Job failure. */
  workload?: {
    replicas: number;
    readyReplicas: number;
    /** Job: the Failed condition's reason (BackoffLimitExceeded, DeadlineExceeded). */
    failedReason?: string;
    failedMessage?: string;
    /** CronJob the Job belongs to. */
    cronJob?: string;
    /** For a CronJob target: the Job diagnosed (its latest failed one, else its latest). */
    job?: string;
  };
}

export function emptyEvidence(target: DiagnosisEvidence['target']): DiagnosisEvidence {
  return {
    target,
    containers: [],
    logs: [],
    events: [],
    conditions: [],
    revisions: [],
    references: [],
    dependencies: [],
    services: [],
  };
}
