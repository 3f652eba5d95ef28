import type { ResourceType } from './resources';
import type { KubeObject } from './store';
import { APPS_PRINTERS } from './printers/apps';
import { BATCH_PRINTERS } from './printers/batch';
import { CLUSTER_PRINTERS } from './printers/cluster';
import { column, nameColumn, type Printer, type TableColumn } from './printers/columns';
import { CONFIG_PRINTERS } from './printers/config';
import { EVENT_PRINTERS } from './printers/events';
import { NETWORKING_PRINTERS } from './printers/networking';
import { POD_PRINTERS } from './printers/pods';
import { POLICY_PRINTERS } from './printers/policy';
import { RBAC_PRINTERS } from './printers/rbac';
import { STORAGE_PRINTERS } from './printers/storage';

export type { TableColumn } from './printers/columns';
export { humanDuration } from './printers/format';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/**
 * The table handlers by storage key, one family per file under printers/, as
 * pkg/printers/internalversion/printers.go registers them in AddHandlers.
 */
const PRINTERS: Record<string, Printer> = {
  ...POD_PRINTERS,
  ...EVENT_PRINTERS,
  ...CLUSTER_PRINTERS,
  ...CONFIG_PRINTERS,
  ...NETWORKING_PRINTERS,
  ...APPS_PRINTERS,
  ...BATCH_PRINTERS,
  ...STORAGE_PRINTERS,
  ...POLICY_PRINTERS,
  ...RBAC_PRINTERS,
};

/**
 * Server-side printing (meta.k8s.io/v1 Table), which `kubectl get` asks for: the columns and
 * cells of k8s.io/kubernetes pkg/printers/internalversion for each served type. Like the API
 * server, every column is filled, including the `priority: 1` ones kubectl shows only with
 * `-o wide`. Types without a printer get the API server's default table (Name, Created At).
 */
export function toTable(
  t: ResourceType,
  items: KubeObject[],
  now: number,
): { columnDefinitions: TableColumn[]; rows: Array<{ cells: unknown[]; object: KubeObject }> } {
  const printer = PRINTERS[t.storageKey];
  if (!printer) {
    return {
      columnDefinitions: [
        nameColumn,
        column(
          'Created At',
          'date',
          'CreationTimestamp is a timestamp representing the server time when this object was created.',
        ),
      ],
      rows: items.map((obj) => ({ cells: [obj.metadata.name, obj.metadata.creationTimestamp], object: obj })),
    };
  }
  return {
    columnDefinitions: printer.columns,
    rows: items.map((obj) => ({ cells: printer.cells(obj, now), object: obj })),
  };
}
