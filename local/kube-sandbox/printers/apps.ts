/**
 * Deployments, ReplicaSets, ReplicationControllers, StatefulSets, DaemonSets, ControllerRevisions.
 */
import type { KubeObject } from '../store';
import {
  column,
  currentColumn,
  desiredColumn,
  namedPrinter,
  templateOwnerPrinter,
  type Printer,
} from './columns';
import {
  formatLabels,
  formatSelector,
  num,
  selectorString,
  templateSpec,
  type Cell,
  type LabelSelector,
  type Numbers,
} from './format';

/** The Desired, Current and Ready cells of printReplicaSet and printReplicationController. */
function replicaCells(obj: KubeObject): Cell[] {
  const status = (obj.status ?? {}) as Numbers;
  return [num((obj.spec as Numbers).replicas), num(status.replicas), num(status.readyReplicas)];
}

export const APPS_PRINTERS: Record<string, Printer> = {
  'deployments.apps': templateOwnerPrinter({
    columns: [
      column('Ready', 'string', 'Number of the pod with ready state'),
      column(
        'Up-to-date',
        'string',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      column(
        'Available',
        'string',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
    ],
    cells: (obj) => {
      const spec = obj.spec as { replicas?: number };
      const status = (obj.status ?? {}) as Numbers;
      return [
        `${num(status.readyReplicas)}/${num(spec.replicas)}`,
        num(status.updatedReplicas),
        num(status.availableReplicas),
      ];
    },
    selector: (obj) => selectorString((obj.spec as { selector?: LabelSelector }).selector),
  }),
  'replicasets.apps': templateOwnerPrinter({
    columns: [
      desiredColumn,
      currentColumn,
      column(
        'Ready',
        'integer',
        'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.',
      ),
    ],
    cells: replicaCells,
    selector: (obj) => formatSelector((obj.spec as { selector?: LabelSelector }).selector),
  }),
  replicationcontrollers: templateOwnerPrinter({
    columns: [
      desiredColumn,
      currentColumn,
      column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    ],
    cells: replicaCells,
    selector: (obj) => formatLabels((obj.spec as { selector?: Record<string, string> }).selector),
  }),
  'statefulsets.apps': templateOwnerPrinter({
    columns: [column('Ready', 'string', 'Number of the pod with ready state')],
    cells: (obj) => [
      `${num((obj.status as Numbers | undefined)?.readyReplicas)}/${num((obj.spec as Numbers).replicas)}`,
    ],
  }),
  'daemonsets.apps': templateOwnerPrinter({
    columns: [
      column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
      column(
        'Current',
        'integer',
        'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
      ),
      column(
        'Ready',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
      ),
      column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
      column(
        'Available',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
      ),
      column(
        'Node Selector',
        'string',
        'NodeSelector is a selector which must be true for the pod to fit on a node.',
      ),
    ],
    cells: (obj) => {
      const status = (obj.status ?? {}) as Numbers;
      return [
        num(status.desiredNumberScheduled),
        num(status.currentNumberScheduled),
        num(status.numberReady),
        num(status.updatedNumberScheduled),
        num(status.numberAvailable),
        formatLabels(templateSpec(obj)?.nodeSelector),
      ];
    },
    selector: (obj) => formatSelector((obj.spec as { selector?: LabelSelector }).selector),
  }),
  'controllerrevisions.apps': namedPrinter({
    columns: [
      column('Controller', 'string', 'Controller of the object'),
      column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ],
    cells: (obj) => {
      const owner = obj.metadata.ownerReferences?.find((r) => r.controller);
      let controller = '<none>';
      if (owner) {
        const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
        controller = `${(group ? `${owner.kind}.${group}` : owner.kind).toLowerCase()}/${owner.name}`;
      }
      return [controller, num(obj.revision as number | undefined)];
    },
  }),
};
