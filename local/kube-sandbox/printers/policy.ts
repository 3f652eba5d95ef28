/**
 * PodDisruptionBudgets (printPodDisruptionBudget).
 */
import { column, named, type Printer } from './columns';

export const POLICY_PRINTERS: Record<string, Printer> = {
  'poddisruptionbudgets.policy': named(
    [
      column(
        'Min Available',
        'string',
        'The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".',
      ),
      column(
        'Max Unavailable',
        'string',
        'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".',
      ),
      column(
        'Allowed Disruptions',
        'integer',
        'Calculated number of pods that may be disrupted at this time.',
      ),
    ],
    (obj) => {
      const spec = (obj.spec ?? {}) as { minAvailable?: number | string; maxUnavailable?: number | string };
      return [
        spec.minAvailable !== undefined ? String(spec.minAvailable) : 'N/A',
        spec.maxUnavailable !== undefined ? String(spec.maxUnavailable) : 'N/A',
        (obj.status as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed ?? 0,
      ];
    },
  ),
};
