/*
 * Column definitions and the printer shapes of pkg/printers/internalversion/printers.go: each
 * family file registers a printer (columns plus a row function) per resource, as AddHandlers does.
 */
import type { KubeObject } from '../store';
import { containerCells, since, templateSpec, type Cell, type PodSpecView } from './format';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface Printer {
  columns: TableColumn[];
  cells(obj: KubeObject, now: number): Cell[];
}

export const DOC = {
  name: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  age: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  containers: 'Names of each container in the template.',
  images: 'Images referenced by each container in the template.',
  selector: 'A label query over pods that are managed by the controller.',
};

export function column(
  name: string,
  type: string,
  description: string,
  priority = 0,
  format = '',
): TableColumn {
  return { name, type, format, description, priority };
}

export const nameColumn = column('Name', 'string', DOC.name, 0, 'name');
export const ageColumn = column('Age', 'string', DOC.age);
const wideContainerColumns = [
  column('Containers', 'string', DOC.containers, 1),
  column('Images', 'string', DOC.images, 1),
];
const wideTemplateColumns = [...wideContainerColumns, column('Selector', 'string', DOC.selector, 1)];
export const desiredColumn = column('Desired', 'integer', 'Replicas is the number of desired replicas.');
export const currentColumn = column(
  'Current',
  'integer',
  'Replicas is the most recently observed number of replicas.',
);

interface NamedPrinter {
  /** The columns between Name and Age, and their cells. */
  columns: TableColumn[];
  cells(obj: KubeObject, now: number): Cell[];
}

/** Printers whose columns are Name, their own, then Age. */
export function namedPrinter(printer: NamedPrinter): Printer {
  return {
    columns: [nameColumn, ...printer.columns, ageColumn],
    cells: (obj, now) => [
      obj.metadata.name!,
      ...printer.cells(obj, now),
      since(obj.metadata.creationTimestamp, now),
    ],
  };
}

interface TemplateOwnerPrinter extends NamedPrinter {
  /** The pod template's spec, for the Containers and Images columns (spec.template by default). */
  template?(obj: KubeObject): PodSpecView | undefined;
  /** The Selector column; a printer without one has none. */
  selector?(obj: KubeObject): string;
}

/** Printers of pod-template owners: a named printer, then the wide template columns. */
export function templateOwnerPrinter(printer: TemplateOwnerPrinter): Printer {
  const named = namedPrinter(printer);
  const { selector } = printer;
  return {
    columns: [...named.columns, ...(selector ? wideTemplateColumns : wideContainerColumns)],
    cells: (obj, now) => [
      ...named.cells(obj, now),
      ...containerCells((printer.template ?? templateSpec)(obj)),
      ...(selector ? [selector(obj)] : []),
    ],
  };
}

/** A named printer whose cells do not depend on the time. */
export function named(columns: TableColumn[], cells: (obj: KubeObject) => Cell[]): Printer {
  return namedPrinter({ columns, cells });
}
