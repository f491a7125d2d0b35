/** A calendar date `YYYY-MM-DD` in Europe/Oslo. All deadlines are calendar days there. */
export type Day = string;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
export const TIME_ZONE = 'Europe/Oslo';

const osloParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** True for a real calendar date (rejects 2027-02-30 and friends). */
export function isDay(value: unknown): value is Day {
  if (typeof value !== 'string') return false;
  const match = DAY_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

/** The Oslo calendar day of an instant, whatever the process's own TZ is. */
export function osloDay(instant: string | Date): Day {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError(`Not an instant: ${String(instant)}`);
  // Intl formatting is slow and every request asks. Since 1895 Oslo's offset from UTC is a whole
  // number of hours and changes on a whole UTC hour, so every instant of one UTC hour has the same
  // Oslo day (before, local mean time was 43 minutes ahead).
  if (time < WHOLE_HOUR_OFFSETS_FROM) return osloParts.format(date);
  const hour = Math.floor(time / HOUR_MS);
  if (hour !== lastHour) [lastHour, lastDay] = [hour, osloParts.format(date)];
  return lastDay;
}

const HOUR_MS = 3_600_000;
const WHOLE_HOUR_OFFSETS_FROM = Date.UTC(1895, 0, 1);
let lastHour = Number.NaN;
let lastDay: Day = '';

function parts(day: Day): [number, number, number] {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new RangeError(`Not a calendar day: ${day}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function format(year: number, month: number, day: number): Day {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.toISOString().slice(0, 10);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function addDays(day: Day, days: number): Day {
  const [y, m, d] = parts(day);
  return format(y, m, d + days);
}

/** Calendar months; the 31st plus one month is the last day of the shorter month. */
export function addMonths(day: Day, months: number): Day {
  const [y, m, d] = parts(day);
  const monthIndex = y * 12 + (m - 1) + months;
  const year = Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  return format(year, month, Math.min(d, daysInMonth(year, month)));
}

export function addYears(day: Day, years: number): Day {
  return addMonths(day, years * 12);
}

export interface Duration {
  days?: number;
  weeks?: number;
  months?: number;
  years?: number;
}

export function addDuration(day: Day, duration: Duration, sign: 1 | -1 = 1): Day {
  let result = addMonths(day, sign * ((duration.years ?? 0) * 12 + (duration.months ?? 0)));
  result = addDays(result, sign * ((duration.weeks ?? 0) * 7 + (duration.days ?? 0)));
  return result;
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: Day, to: Day): number {
  const [fy, fm, fd] = parts(from);
  const [ty, tm, td] = parts(to);
  return Math.round((Date.UTC(ty, tm - 1, td) - Date.UTC(fy, fm - 1, fd)) / 86_400_000);
}

export function minDay(a: Day, b: Day): Day {
  return a <= b ? a : b;
}

/** «31. desember 2026», for Norwegian text. */
export function formatDayNb(day: Day): string {
  const [y, m, d] = parts(day);
  return `${d}. ${MONTHS_NB[m - 1]} ${y}`;
}

const MONTHS_NB = [
  'januar',
  'februar',
  'mars',
  'april',
  'mai',
  'juni',
  'juli',
  'august',
  'september',
  'oktober',
  'november',
  'desember',
] as const;
