import { CronExpressionParser } from 'cron-parser';

/*
 * CronJob schedules with the grammar of robfig/cron's ParseStandard, which Kubernetes uses:
 * five fields or a descriptor (@hourly, @daily, @every 90m ...), evaluated in a time zone.
 * The field arithmetic is cron-parser's.
 */

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export interface Schedule {
  /** The first activation strictly after `after` (ms since epoch), undefined when there is none. */
  next(after: number): number | undefined;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const DURATION_UNITS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 1e-6,
};

/** Go's time.ParseDuration, for `@every`. */
function parseGoDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)];
  if (!text || parts.map((p) => p[0]).join('') !== text) {
    throw new ScheduleError(`failed to parse duration ${text}: time: invalid duration "${text}"`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]], 0);
}

/** Whether a time zone name is one Go's time.LoadLocation accepts. */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone === '' || timeZone === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule in `timeZone` (UTC when unset); throws ScheduleError with robfig's wording. */
export function parseSchedule(expression: string, timeZone?: string): Schedule {
  const spec = expression.trim();
  const tz = timeZone || 'UTC';
  if (spec.startsWith('@every ')) {
    const delay = Math.max(
      1000,
      Math.floor(parseGoDuration(spec.slice('@every '.length).trim()) / 1000) * 1000,
    );
    return { next: (after) => Math.floor(after / 1000) * 1000 + delay };
  }
  let fields = spec;
  if (spec.startsWith('@')) {
    const expanded = DESCRIPTORS[spec];
    if (!expanded) throw new ScheduleError(`unrecognized descriptor: ${spec}`);
    fields = expanded;
  }
  const parts = fields.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) {
    throw new ScheduleError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  }
  try {
    CronExpressionParser.parse(fields, { currentDate: new Date(0), tz }).next();
  } catch (error) {
    throw new ScheduleError((error as Error).message);
  }
  return {
    next(after) {
      try {
        return CronExpressionParser.parse(fields, { currentDate: new Date(after), tz })
          .next()
          .getTime();
      } catch {
        return undefined;
      }
    },
  };
}

/** RFC 3339 in a time zone, as Go's `t.In(loc).Format(time.RFC3339)` writes it. */
export function formatInZone(at: number, timeZone?: string): string {
  const whole = Math.floor(at / 1000) * 1000;
  if (!timeZone || timeZone === 'UTC') return new Date(whole).toISOString().replace('.000Z', 'Z');
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(whole))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    +parts.year,
    +parts.month - 1,
    +parts.day,
    +parts.hour,
    +parts.minute,
    +parts.second,
  );
  const offsetMinutes = Math.round((local - whole) / 60_000);
  const wall = new Date(local).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${wall}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
