/**
 * Namespaces, nodes and leases (printNamespace, printNode, printLease).
 */
import { ageColumn, column, nameColumn, namedPrinter, type Printer } from './columns';
import { since } from './format';

export const CLUSTER_PRINTERS: Record<string, Printer> = {
  namespaces: namedPrinter({
    columns: [column('Status', 'string', 'The status of the namespace')],
    cells: (obj) => [(obj.status as { phase?: string } | undefined)?.phase ?? ''],
  }),
  nodes: {
    columns: [
      nameColumn,
      column('Status', 'string', 'The status of the node'),
      column('Roles', 'string', 'The roles of the node'),
      ageColumn,
      column('Version', 'string', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
      column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
      column(
        'OS-Image',
        'string',
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        1,
      ),
      column(
        'Kernel-Version',
        'string',
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
      ),
      column(
        'Container-Runtime',
        'string',
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        1,
      ),
    ],
    cells: (obj, now) => {
      const status = (obj.status ?? {}) as {
        conditions?: Array<{ type: string; status: string }>;
        addresses?: Array<{ type: string; address: string }>;
        nodeInfo?: Record<string, string>;
      };
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      const states = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
      if ((obj.spec as { unschedulable?: boolean } | undefined)?.unschedulable)
        states.push('SchedulingDisabled');
      const roles = new Set<string>();
      for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
        if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) {
          roles.add(key.slice('node-role.kubernetes.io/'.length));
        } else if (key === 'kubernetes.io/role' && value) {
          roles.add(value);
        }
      }
      const address = (type: string): string =>
        status.addresses?.find((a) => a.type === type)?.address ?? '<none>';
      const info = status.nodeInfo ?? {};
      return [
        obj.metadata.name!,
        states.join(','),
        roles.size ? [...roles].sort().join(',') : '<none>',
        since(obj.metadata.creationTimestamp, now),
        info.kubeletVersion ?? '',
        address('InternalIP'),
        address('ExternalIP'),
        info.osImage || '<unknown>',
        info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
  'leases.coordination.k8s.io': namedPrinter({
    columns: [
      column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    ],
    cells: (obj) => [(obj.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? ''],
  }),
};
