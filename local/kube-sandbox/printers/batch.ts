/**
 * Jobs and CronJobs (printJob, printCronJob).
 */
import type { KubeObject } from '../store';
import { column, templateOwnerPrinter, type Printer } from './columns';
import {
  formatSelector,
  humanDuration,
  num,
  since,
  type Cell,
  type LabelSelector,
  type PodSpecView,
} from './format';

/** The Status, Completions and Duration cells of printJob. */
function jobCells(obj: KubeObject, now: number): Cell[] {
  const spec = obj.spec as { completions?: number; parallelism?: number };
  const status = (obj.status ?? {}) as {
    succeeded?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Array<{ type: string; status: string }>;
  };
  const succeeded = num(status.succeeded);
  let completions: string;
  if (spec.completions !== undefined && spec.completions !== null)
    completions = `${succeeded}/${spec.completions}`;
  else if ((spec.parallelism ?? 0) > 1) completions = `${succeeded}/1 of ${spec.parallelism}`;
  else completions = `${succeeded}/1`;

  let duration = '';
  if (status.startTime) {
    const start = Date.parse(status.startTime);
    duration = humanDuration((status.completionTime ? Date.parse(status.completionTime) : now) - start);
  }
  // The first condition of a type decides, as hasJobCondition looks no further.
  const has = (type: string): boolean => status.conditions?.find((c) => c.type === type)?.status === 'True';
  let state: string;
  if (has('Complete')) state = 'Complete';
  else if (has('Failed')) state = 'Failed';
  else if (obj.metadata.deletionTimestamp) state = 'Terminating';
  else if (has('Suspended')) state = 'Suspended';
  else if (has('FailureTarget')) state = 'FailureTarget';
  else state = 'Running';
  return [state, completions, duration];
}

function cronJobTemplate(
  obj: KubeObject,
): { selector?: LabelSelector; template?: { spec?: PodSpecView } } | undefined {
  return (
    obj.spec as { jobTemplate?: { spec?: { selector?: LabelSelector; template?: { spec?: PodSpecView } } } }
  ).jobTemplate?.spec;
}

export const BATCH_PRINTERS: Record<string, Printer> = {
  'jobs.batch': templateOwnerPrinter({
    columns: [
      column('Status', 'string', 'Status of the job.'),
      column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
      column('Duration', 'string', 'Time required to complete the job.'),
    ],
    cells: jobCells,
    selector: (obj) => formatSelector((obj.spec as { selector?: LabelSelector }).selector),
  }),
  'cronjobs.batch': templateOwnerPrinter({
    columns: [
      column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column(
        'Timezone',
        'string',
        'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
      ),
      column(
        'Suspend',
        'boolean',
        'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
      ),
      column('Active', 'integer', 'A list of pointers to currently running jobs.'),
      column(
        'Last Schedule',
        'string',
        'Information when was the last time the job was successfully scheduled.',
      ),
    ],
    cells: (obj, now) => {
      const spec = obj.spec as { schedule?: string; timeZone?: string; suspend?: boolean };
      const status = (obj.status ?? {}) as { active?: unknown[]; lastScheduleTime?: string };
      return [
        spec.schedule ?? '',
        spec.timeZone ?? '<none>',
        spec.suspend === undefined ? '<unset>' : spec.suspend ? 'True' : 'False',
        (status.active ?? []).length,
        status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
      ];
    },
    template: (obj) => cronJobTemplate(obj)?.template?.spec,
    selector: (obj) => formatSelector(cronJobTemplate(obj)?.selector),
  }),
};
