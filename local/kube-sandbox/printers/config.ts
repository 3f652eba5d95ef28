/**
 * ConfigMaps, Secrets and ServiceAccounts (printConfigMap, printSecret, printServiceAccount).
 */
import { column, named, namedPrinter, type Printer } from './columns';

export const CONFIG_PRINTERS: Record<string, Printer> = {
  configmaps: namedPrinter({
    columns: [column('Data', 'string', 'Data contains the configuration data.')],
    cells: (obj) => [Object.keys(obj.data ?? {}).length + Object.keys(obj.binaryData ?? {}).length],
  }),
  secrets: namedPrinter({
    columns: [
      column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
      column('Data', 'string', 'Data contains the secret data.'),
    ],
    cells: (obj) => [(obj.type as string | undefined) ?? '', Object.keys(obj.data ?? {}).length],
  }),
  serviceaccounts: named(
    [
      column(
        'Secrets',
        'string',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
    ],
    (obj) => [((obj.secrets as unknown[] | undefined) ?? []).length],
  ),
};
