/**
 * Query schedules (EPCIS 2.0 §8.2.5.3, the REST binding's `schedule` object): each field a
 * comma-separated list of numbers or `[lo-hi]` ranges, e.g. `{"hour": "1", "minute": "5"}` for
 * 01:05:00 every day. An omitted `second` means 0; any other omitted field means every value.
 * Times are UTC. dayOfWeek runs 1 (Monday) to 7 (Sunday) as in ISO 8601.
 */
import { QueryParameterError } from './params';
import type { Schedule } from './store';

const fields = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  dayOfWeek: [1, 7],
} as const;
type Field = keyof typeof fields;

export type CompiledSchedule = Record<Field, ReadonlySet<number> | null>;

export function compileSchedule(schedule: unknown): CompiledSchedule {
  if (typeof schedule !== 'object' || schedule === null || Array.isArray(schedule)) {
    throw new QueryParameterError('schedule must be an object such as {"hour": "1", "minute": "5"}');
  }
  const out = {} as Record<Field, ReadonlySet<number> | null>;
  for (const key of Object.keys(schedule)) {
    if (!(key in fields))
      throw new QueryParameterError(`schedule.${key} is not one of ${Object.keys(fields).join(', ')}`);
  }
  for (const [name, [lo, hi]] of Object.entries(fields) as [Field, readonly [number, number]][]) {
    const raw = (schedule as Record<string, unknown>)[name];
    if (raw === undefined) {
      out[name] = name === 'second' ? new Set([0]) : null;
      continue;
    }
    const values = new Set<number>();
    for (const part of String(raw).split(',')) {
      const m = /^\s*(?:(\d+)|\[(\d+)-(\d+)\])\s*$/.exec(part);
      if (!m)
        throw new QueryParameterError(
          `schedule.${name} ${JSON.stringify(raw)}: write numbers or [lo-hi], comma-separated`,
        );
      const from = Number(m[1] ?? m[2]);
      const to = Number(m[1] ?? m[3]);
      if (from < lo || to > hi || from > to) {
        throw new QueryParameterError(
          `schedule.${name} ${JSON.stringify(raw)}: values run from ${lo} to ${hi}`,
        );
      }
      for (let v = from; v <= to; v++) values.add(v);
    }
    out[name] = values;
  }
  return out;
}

/** Whether the schedule fires in the UTC second `at` falls in. */
export function scheduleMatches(s: CompiledSchedule, at: Date): boolean {
  const isoDay = ((at.getUTCDay() + 6) % 7) + 1;
  const now: Record<Field, number> = {
    second: at.getUTCSeconds(),
    minute: at.getUTCMinutes(),
    hour: at.getUTCHours(),
    dayOfMonth: at.getUTCDate(),
    month: at.getUTCMonth() + 1,
    dayOfWeek: isoDay,
  };
  return (Object.keys(fields) as Field[]).every((f) => s[f] === null || s[f]!.has(now[f]));
}

export function scheduleOf(raw: unknown): Schedule {
  compileSchedule(raw);
  const out: Schedule = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k as Field] = String(v);
  return out;
}
