import type { ResourceType } from './resources';
import type { KubeObject } from './store';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/**
 * Server-side printing (meta.k8s.io/v1 Table), which `kubectl get` asks for. Until the
 * per-type columns land, every type prints like the API server's default table convertor.
 */
export function toTable(
  _t: ResourceType,
  items: KubeObject[],
  _now: number,
): { columnDefinitions: TableColumn[]; rows: Array<{ cells: unknown[]; object: KubeObject }> } {
  return {
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the object', priority: 0 },
      { name: 'Created At', type: 'date', format: '', description: 'Creation timestamp', priority: 0 },
    ],
    rows: items.map((obj) => ({ cells: [obj.metadata.name, obj.metadata.creationTimestamp], object: obj })),
  };
}
