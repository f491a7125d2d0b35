import { addDays, isDay, TIME_ZONE } from '../../workflows/kit';
import { InvalidRequest } from '../common/errors';

/**
 * Reads an ISO-8601 query value as an instant. A calendar date means the end of that day in
 * Europe/Oslo ("the state on 4 March"), a timestamp must carry its offset.
 */
export function instantOf(
  field: string,
  value: string,
  dateMeans: 'endOfDay' | 'startOfDay',
): Date {
  const bad = () =>
    new InvalidRequest([
      {
        field,
        message: 'må være en gyldig dato (ÅÅÅÅ-MM-DD) eller et tidspunkt med tidssone',
        messageEn: 'must be a valid date (YYYY-MM-DD) or a timestamp with offset',
      },
    ]);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    if (!isDay(value)) throw bad();
    const day = dateMeans === 'endOfDay' ? addDays(value, 1) : value;
    return new Date(startOfOsloDay(day).getTime() - (dateMeans === 'endOfDay' ? 1 : 0));
  }
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime()) || !isDay(value.slice(0, 10))) throw bad();
  return instant;
}

/** Midnight in Oslo of a calendar day, as an instant. */
function startOfOsloDay(day: string): Date {
  const utcMidnight = new Date(`${day}T00:00:00Z`);
  const offsetMinutes = osloOffsetMinutes(utcMidnight);
  return new Date(utcMidnight.getTime() - offsetMinutes * 60_000);
}

function osloOffsetMinutes(instant: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: TIME_ZONE,
    timeZoneName: 'longOffset',
  })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(parts ?? '');
  if (!match) return 0;
  const sign = match[1] === '-' ? -1 : 1;
  return sign * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}
