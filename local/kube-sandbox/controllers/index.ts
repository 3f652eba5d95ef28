import type { Controller } from '../runtime';
import { deploymentController } from './deployment/deployment-controller';
import { replicaSetController } from './replicaset';
import { schedulerController } from './scheduler';
import { kubeletController } from './kubelet';
import { statefulSetController } from './statefulset';
import { daemonSetController } from './daemonset';
import { jobController } from './job';
import { cronJobController } from './cronjob';
import { namespaceController } from './namespace';
import { disruptionController } from './disruption';
import { endpointsController } from './endpoints';
import { namespaceDefaultsController } from './namespace-defaults';
import { nodeLifecycleController } from './node-lifecycle';
import { persistentVolumeController } from './persistent-volume';

/** The control plane and node agents the sandbox runs, in start order. */
export const CONTROLLERS: Controller[] = [
  schedulerController,
  kubeletController,
  replicaSetController,
  deploymentController,
  statefulSetController,
  daemonSetController,
  jobController,
  cronJobController,
  namespaceController,
  namespaceDefaultsController,
  endpointsController,
  persistentVolumeController,
  disruptionController,
  nodeLifecycleController,
];
