/**
 * Roles and ClusterRoles (the default Name, Created At table), RoleBindings and ClusterRoleBindings.
 */
import { ageColumn, column, nameColumn, type Printer } from './columns';
import { since } from './format';

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

function bindingPrinter(): Printer {
  return {
    columns: [
      nameColumn,
      column('Role', 'string', 'RoleRef is the reference to the role the binding binds to.'),
      ageColumn,
      column('Users', 'string', 'Users in the binding', 1),
      column('Groups', 'string', 'Groups in the binding', 1),
      column('ServiceAccounts', 'string', 'ServiceAccounts in the binding', 1),
    ],
    cells: (obj, now) => {
      const roleRef = obj.roleRef as { kind: string; name: string };
      const subjects = (obj.subjects ?? []) as Subject[];
      const of = (kind: string): string =>
        subjects
          .filter((s) => s.kind === kind)
          .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
          .join(', ');
      return [
        obj.metadata.name!,
        `${roleRef.kind}/${roleRef.name}`,
        since(obj.metadata.creationTimestamp, now),
        of('User'),
        of('Group'),
        of('ServiceAccount'),
      ];
    },
  };
}

const CREATED_AT: Printer = {
  columns: [
    nameColumn,
    column(
      'Created At',
      'date',
      'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
    ),
  ],
  cells: (obj) => [obj.metadata.name!, obj.metadata.creationTimestamp ?? ''],
};

export const RBAC_PRINTERS: Record<string, Printer> = {
  'clusterroles.rbac.authorization.k8s.io': CREATED_AT,
  'roles.rbac.authorization.k8s.io': CREATED_AT,
  'clusterrolebindings.rbac.authorization.k8s.io': bindingPrinter(),
  'rolebindings.rbac.authorization.k8s.io': bindingPrinter(),
};
