import {
  addDays,
  addDuration,
  addMonths,
  addYears,
  daysBetween,
  formatDayNb,
  isDay,
  minDay,
  osloDay,
} from './calendar';

describe('calendar', () => {
  describe(isDay.name, () => {
    it.each(['2026-01-01', '2026-12-31', '2028-02-29', '2026-02-28', '2027-04-30'])(
      'accepts the real calendar day %s',
      (day) => {
        expect(isDay(day)).toBe(true);
      },
    );

    it.each([
      ['2027-02-30', 'a day February does not have'],
      ['2026-02-29', 'a leap day in a common year'],
      ['2100-02-29', 'a leap day in a century year that is no leap year'],
      ['2026-04-31', 'the 31st of a 30-day month'],
      ['2026-13-01', 'month 13'],
      ['2026-00-10', 'month 0'],
      ['2026-01-00', 'day 0'],
      ['2026-01-32', 'day 32'],
      ['2026-1-1', 'missing leading zeros'],
      ['2026-01-1', 'a one-digit day'],
      ['26-01-01', 'a two-digit year'],
      ['2026/01/01', 'slashes'],
      ['01.01.2026', 'the Norwegian dotted form'],
      ['2026-01-01T00:00:00Z', 'an instant'],
      [' 2026-01-01', 'leading blank'],
      ['2026-01-01\n', 'a trailing newline'],
      ['', 'the empty string'],
    ])('rejects %j (%s)', (value) => {
      expect(isDay(value)).toBe(false);
    });

    it.each([
      [20260101, 'a number'],
      [null, 'null'],
      [undefined, 'undefined'],
      [new Date('2026-01-01T00:00:00Z'), 'a Date'],
      [['2026-01-01'], 'an array holding a day'],
      [{ toString: () => '2026-01-01' }, 'an object that prints as a day'],
    ] as [unknown, string][])('rejects a non-string: %s', (value: unknown) => {
      expect(isDay(value)).toBe(false);
    });

    it('accepts 2000-02-29 (a century leap year)', () => {
      expect(isDay('2000-02-29')).toBe(true);
    });
  });

  describe(osloDay.name, () => {
    it.each([
      // Winter time (CET, UTC+1): the Oslo day starts at 23:00 UTC the evening before.
      ['2026-01-15T22:59:59Z', '2026-01-15'],
      ['2026-01-15T23:00:00Z', '2026-01-16'],
      ['2026-12-31T22:59:59.999Z', '2026-12-31'],
      ['2026-12-31T23:00:00Z', '2027-01-01'],
      // Summer time (CEST, UTC+2): the Oslo day starts at 22:00 UTC the evening before.
      ['2026-06-30T21:59:59Z', '2026-06-30'],
      ['2026-06-30T22:00:00Z', '2026-07-01'],
      // Spring forward on Sunday 29 March 2026 at 01:00 UTC (02:00 CET → 03:00 CEST).
      ['2026-03-28T22:59:59Z', '2026-03-28'],
      ['2026-03-28T23:00:00Z', '2026-03-29'],
      ['2026-03-29T00:59:59Z', '2026-03-29'],
      ['2026-03-29T01:00:00Z', '2026-03-29'],
      ['2026-03-29T21:59:59Z', '2026-03-29'],
      ['2026-03-29T22:00:00Z', '2026-03-30'],
      // Fall back on Sunday 25 October 2026 at 01:00 UTC (03:00 CEST → 02:00 CET).
      ['2026-10-24T21:59:59Z', '2026-10-24'],
      ['2026-10-24T22:00:00Z', '2026-10-25'],
      ['2026-10-25T22:59:59Z', '2026-10-25'],
      ['2026-10-25T23:00:00Z', '2026-10-26'],
    ])('puts %s on the Oslo day %s', (instant, day) => {
      expect(osloDay(instant)).toBe(day);
    });

    it('reads the offset of the instant, not the wall-clock digits', () => {
      expect(osloDay('2026-03-02T00:30:00+01:00')).toBe('2026-03-02');
      expect(osloDay('2026-03-01T18:30:00-05:00')).toBe('2026-03-02');
      expect(osloDay('2026-03-02T08:00:00+14:00')).toBe('2026-03-01');
    });

    it('takes a Date as well as a string', () => {
      expect(osloDay(new Date('2026-07-31T22:30:00Z'))).toBe('2026-08-01');
      expect(osloDay(new Date(Date.UTC(2028, 1, 28, 23, 0, 0)))).toBe('2028-02-29');
    });

    it('agrees with Intl at every minute around both of 2026’s clock changes and a new year', () => {
      const oslo = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' });
      for (const start of [
        '2026-03-28T20:00:00Z',
        '2026-10-24T20:00:00Z',
        '2026-12-31T20:00:00Z',
      ]) {
        for (let minute = 0; minute < 8 * 60; minute += 1) {
          // Back and forth within and across hours: a remembered day must never leak to another.
          for (const offset of [minute, minute + 59, minute + 1]) {
            const instant = new Date(Date.parse(start) + offset * 60_000 + 59_999);
            expect(osloDay(instant.toISOString())).toBe(oslo.format(instant));
          }
        }
      }
    });

    it('keeps the 43 minutes of local mean time before 1895', () => {
      expect(osloDay('1800-01-01T23:00:00Z')).toBe('1800-01-01');
      expect(osloDay('1800-01-01T23:30:00Z')).toBe('1800-01-02');
    });

    it('throws a RangeError for something that is no instant', () => {
      expect(() => osloDay('not a date')).toThrow(RangeError);
      expect(() => osloDay('not a date')).toThrow('Not an instant: not a date');
      expect(() => osloDay(new Date(Number.NaN))).toThrow(RangeError);
    });
  });

  describe(addMonths.name, () => {
    it.each([
      ['2026-08-31', 6, '2027-02-28', 'clamps the 31st to the end of February'],
      ['2027-08-31', 6, '2028-02-29', 'clamps to the leap day in a leap year'],
      ['2026-01-31', 1, '2026-02-28', 'clamps January 31st to February 28th'],
      ['2028-01-31', 1, '2028-02-29', 'clamps to February 29th in a leap year'],
      ['2026-03-31', 1, '2026-04-30', 'clamps to a 30-day month'],
      ['2026-03-31', -1, '2026-02-28', 'clamps going backwards'],
      ['2026-03-15', 6, '2026-09-15', 'keeps the day when it exists'],
      ['2026-11-15', 3, '2027-02-15', 'crosses a year end'],
      ['2026-01-15', -1, '2025-12-15', 'crosses a year start backwards'],
      ['2026-02-28', 12, '2027-02-28', 'adds twelve months as a year'],
      ['2026-05-20', 0, '2026-05-20', 'leaves the day alone for zero months'],
      ['2026-03-02', 30, '2028-09-02', 'adds many months'],
    ])('%s + %i months = %s (%s)', (day, months, expected) => {
      expect(addMonths(day, months)).toBe(expected);
    });

    it('throws for something that is no calendar day', () => {
      expect(() => addMonths('2026-1-1', 1)).toThrow(RangeError);
    });
  });

  describe(addYears.name, () => {
    it.each([
      ['2028-02-29', -2, '2026-02-28'],
      ['2028-02-29', 1, '2029-02-28'],
      ['2028-02-29', 4, '2032-02-29'],
      ['2028-12-31', -2, '2026-12-31'],
      ['2026-06-30', 2, '2028-06-30'],
    ])('%s + %i years = %s', (day, years, expected) => {
      expect(addYears(day, years)).toBe(expected);
    });
  });

  describe(addDays.name, () => {
    it.each([
      ['2026-12-31', 1, '2027-01-01'],
      ['2028-02-28', 1, '2028-02-29'],
      ['2026-02-28', 1, '2026-03-01'],
      ['2026-03-28', 2, '2026-03-30'],
      ['2026-10-24', 2, '2026-10-26'],
      ['2026-03-02', 14, '2026-03-16'],
      ['2026-01-01', -1, '2025-12-31'],
      ['2026-03-01', -1, '2026-02-28'],
    ])('%s + %i days = %s', (day, days, expected) => {
      expect(addDays(day, days)).toBe(expected);
    });
  });

  describe(addDuration.name, () => {
    it('adds weeks as seven days', () => {
      expect(addDuration('2026-03-02', { weeks: 6 })).toBe('2026-04-13');
    });

    it('adds months before days', () => {
      // 31 January + 1 month = 28 February, then + 1 day = 1 March.
      expect(addDuration('2026-01-31', { months: 1, days: 1 })).toBe('2026-03-01');
    });

    it('subtracts with sign −1', () => {
      expect(addDuration('2028-12-31', { years: 2 }, -1)).toBe('2026-12-31');
      expect(addDuration('2028-02-29', { years: 2 }, -1)).toBe('2026-02-28');
      expect(addDuration('2026-04-13', { weeks: 6 }, -1)).toBe('2026-03-02');
    });

    it('leaves the day alone for an empty duration', () => {
      expect(addDuration('2026-05-17', {})).toBe('2026-05-17');
    });
  });

  describe(daysBetween.name, () => {
    it.each([
      ['2026-03-02', '2026-03-16', 14],
      ['2026-03-16', '2026-03-02', -14],
      ['2026-03-02', '2026-03-02', 0],
      ['2026-03-28', '2026-03-30', 2],
      ['2026-10-24', '2026-10-26', 2],
      ['2026-01-01', '2027-01-01', 365],
      ['2028-01-01', '2029-01-01', 366],
      ['2028-02-28', '2028-03-01', 2],
      ['2026-02-28', '2026-03-01', 1],
      ['2026-12-31', '2028-12-31', 731],
    ])('from %s to %s is %i days', (from, to, days) => {
      expect(daysBetween(from, to)).toBe(days);
    });

    it('is the inverse of addDays', () => {
      for (const n of [-400, -31, -1, 0, 1, 29, 45, 366, 1000]) {
        expect(daysBetween('2026-03-29', addDays('2026-03-29', n))).toBe(n);
      }
    });

    it('throws for something that is no calendar day', () => {
      expect(() => daysBetween('2026-03-02', '2. mars')).toThrow(RangeError);
    });
  });

  describe(minDay.name, () => {
    it('returns the earlier day whichever comes first', () => {
      expect(minDay('2027-03-01', '2026-12-31')).toBe('2026-12-31');
      expect(minDay('2026-12-31', '2027-03-01')).toBe('2026-12-31');
      expect(minDay('2026-12-31', '2026-12-31')).toBe('2026-12-31');
    });
  });

  describe(formatDayNb.name, () => {
    it.each([
      ['2026-12-31', '31. desember 2026'],
      ['2026-01-01', '1. januar 2026'],
      ['2026-02-05', '5. februar 2026'],
      ['2026-03-09', '9. mars 2026'],
      ['2026-04-10', '10. april 2026'],
      ['2026-05-17', '17. mai 2026'],
      ['2026-06-30', '30. juni 2026'],
      ['2026-07-04', '4. juli 2026'],
      ['2026-08-31', '31. august 2026'],
      ['2026-09-15', '15. september 2026'],
      ['2026-10-25', '25. oktober 2026'],
      ['2026-11-11', '11. november 2026'],
      ['2028-02-29', '29. februar 2028'],
    ])('writes %s as «%s»', (day, text) => {
      expect(formatDayNb(day)).toBe(text);
    });

    it('throws for something that is no calendar day', () => {
      expect(() => formatDayNb('31.12.2026')).toThrow(RangeError);
    });
  });
});
