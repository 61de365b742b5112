// Deploy windows (windows.md), the pure part: reading `deployWindows` of a config.json, and
// whether a window is open at fixed instants across DST changes, day boundaries and window edges,
// and when the next one opens.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deployWindowState, parseDeployWindows } from '../../src/planning/deployWindows.js';
import type { DeployWindow } from '../../src/planning/model.js';
import { EnvironmentConfigSchema } from '../../src/schemas/environments.js';

function windows(value: unknown): readonly DeployWindow[] {
  const read = parseDeployWindows(value);
  if (!read.ok) throw new Error(read.reason);
  return read.windows;
}

/** The state at `at`: 'open', or the next start as an ISO string ('none' when there is none). */
function stateAt(value: unknown, at: string): string {
  const state = deployWindowState(windows(value), new Date(at));
  if (state.open) return 'open';
  return state.nextStart?.toISOString() ?? 'none';
}

const window = (days: string[], start: string, end: string, timeZone: string) => ({
  days,
  start,
  end,
  timeZone,
});

describe('reading deployWindows', () => {
  it('reads absent, null and [] as no window: always open', () => {
    for (const value of [undefined, null, []]) {
      expect(parseDeployWindows(value)).toEqual({ ok: true, windows: [] });
      expect(stateAt(value, '2026-11-26T10:00:00Z')).toBe('open');
    }
  });

  it('reads days as ISO weekdays (duplicates once), start and end as minutes after midnight', () => {
    expect(windows([window(['sun', 'mon', 'mon', 'fri'], '09:05', '24:00', 'Europe/Berlin')])).toEqual([
      { days: [1, 5, 7], startMinute: 9 * 60 + 5, endMinute: 24 * 60, timeZone: 'Europe/Berlin' },
    ]);
  });

  const INVALID: readonly [string, unknown, string][] = [
    ['not a list', { days: ['mon'] }, 'deployWindows must be a list of windows'],
    ['a window that is no object', ['mon'], 'deployWindows[0] must be an object'],
    [
      'an unknown field',
      [{ ...window(['mon'], '09:00', '10:00', 'UTC'), note: 'x' }],
      'unknown field "note"',
    ],
    ['a misspelt field', [{ days: ['mon'], start: '09:00', end: '10:00', timezone: 'UTC' }], 'unknown field'],
    ['no days', [window([], '09:00', '10:00', 'UTC')], 'deployWindows[0].days must be a non-empty list'],
    ['days not a list', [{ ...window(['mon'], '09:00', '10:00', 'UTC'), days: 'mon' }], '[0].days'],
    ['an unknown day', [window(['mon', 'Tue'], '09:00', '10:00', 'UTC')], '[0].days must name days as mon'],
    ['a start without leading zero', [window(['mon'], '9:00', '10:00', 'UTC')], '[0].start must be HH:MM'],
    ['a start of 24:00', [window(['mon'], '24:00', '24:00', 'UTC')], '[0].start must be HH:MM'],
    ['an hour 25', [window(['mon'], '09:00', '25:00', 'UTC')], '[0].end must be HH:MM'],
    ['a minute 60', [window(['mon'], '09:60', '10:00', 'UTC')], '[0].start must be HH:MM'],
    ['seconds', [window(['mon'], '09:00:00', '10:00', 'UTC')], '[0].start must be HH:MM'],
    ['a number for a time', [{ ...window(['mon'], '09:00', '10:00', 'UTC'), start: 900 }], '[0].start'],
    ['end before start', [window(['mon'], '16:00', '09:00', 'UTC')], '[0].end must be after start'],
    ['end equal to start', [window(['mon'], '09:00', '09:00', 'UTC')], '[0].end must be after start'],
    [
      'an unknown zone',
      [window(['mon'], '09:00', '10:00', 'Mars/Olympus_Mons')],
      '[0].timeZone must be an IANA',
    ],
    ['an offset for a zone', [window(['mon'], '09:00', '10:00', '+01:00')], '[0].timeZone'],
    ['an empty zone', [window(['mon'], '09:00', '10:00', '')], '[0].timeZone'],
    ['no zone', [{ days: ['mon'], start: '09:00', end: '10:00' }], '[0].timeZone'],
    [
      'the second window broken',
      [window(['mon'], '09:00', '10:00', 'UTC'), window(['tue'], '10:00', '09:00', 'UTC')],
      'deployWindows[1].end',
    ],
    [
      'too many windows',
      Array.from({ length: 101 }, () => window(['mon'], '09:00', '10:00', 'UTC')),
      'at most 100',
    ],
  ];

  it.each(INVALID)('refuses %s, naming the field (never "always open")', (_name, value, reason) => {
    const read = parseDeployWindows(value);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toContain(reason);
  });

  it.each(INVALID)('refuses %s on the environment API as well', (_name, value) => {
    expect(EnvironmentConfigSchema.safeParse({ deployWindows: value }).success).toBe(false);
  });

  const VALID: readonly unknown[] = [
    null,
    [],
    [window(['mon', 'tue', 'wed', 'thu'], '09:00', '16:00', 'Europe/Berlin')],
    [window(['sat', 'sun'], '00:00', '24:00', 'UTC'), window(['fri'], '23:59', '24:00', 'Asia/Kathmandu')],
    [window(['mon'], '00:00', '00:01', 'America/New_York')],
    [window(['mon'], '09:00', '10:00', 'europe/berlin')],
    [window(['mon'], '09:00', '10:00', 'Etc/GMT+5')],
  ];

  it.each(VALID)('reads %j, and the environment API takes it too', (value) => {
    expect(parseDeployWindows(value).ok).toBe(true);
    expect(EnvironmentConfigSchema.safeParse({ deployWindows: value }).success).toBe(true);
  });
});

describe('a weekly window, Monday to Thursday 09:00-16:00 in Europe/Berlin', () => {
  const WEEKLY = [window(['mon', 'tue', 'wed', 'thu'], '09:00', '16:00', 'Europe/Berlin')];

  it.each([
    // Winter (CET, UTC+1)
    ['opens at its start, inclusive', '2026-11-23T08:00:00.000Z', 'open'],
    ['is closed the millisecond before', '2026-11-23T07:59:59.999Z', '2026-11-23T08:00:00.000Z'],
    ['is open the millisecond before its end', '2026-11-23T14:59:59.999Z', 'open'],
    [
      'closes at its end, exclusive: next the day after',
      '2026-11-23T15:00:00.000Z',
      '2026-11-24T08:00:00.000Z',
    ],
    ['after Thursday: next on Monday', '2026-11-26T15:00:00.000Z', '2026-11-30T08:00:00.000Z'],
    ['on a Sunday: next on Monday', '2026-11-29T12:00:00.000Z', '2026-11-30T08:00:00.000Z'],
    // Summer (CEST, UTC+2)
    ['opens at 09:00 CEST in summer', '2026-06-22T07:00:00.000Z', 'open'],
    ['is closed at 08:59 CEST', '2026-06-22T06:59:00.000Z', '2026-06-22T07:00:00.000Z'],
    // Across the changes: the next start is 09:00 of the new offset, not of the old one.
    ['before spring forward: next at 09:00 CEST', '2026-03-26T15:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    ['before fall back: next at 09:00 CET', '2026-10-22T14:00:00.000Z', '2026-10-26T08:00:00.000Z'],
  ])('%s (%s)', (_name, at, expected) => {
    expect(stateAt(WEEKLY, at)).toBe(expected);
  });
});

describe('a weekday window 09:00-17:00 in America/New_York', () => {
  const OFFICE = [window(['mon', 'tue', 'wed', 'thu', 'fri'], '09:00', '17:00', 'America/New_York')];

  it.each([
    ['open at 09:00 EST', '2026-01-05T14:00:00.000Z', 'open'],
    [
      'Friday 17:00 EST before spring forward: next Monday 09:00 EDT',
      '2026-03-06T22:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ],
    [
      'Friday 17:00 EDT before fall back: next Monday 09:00 EST',
      '2026-10-30T21:00:00.000Z',
      '2026-11-02T14:00:00.000Z',
    ],
    ['open at 16:59 EDT', '2026-07-01T20:59:00.000Z', 'open'],
    ['closed at 17:00 EDT', '2026-07-01T21:00:00.000Z', '2026-07-02T13:00:00.000Z'],
  ])('%s', (_name, at, expected) => {
    expect(stateAt(OFFICE, at)).toBe(expected);
  });
});

describe('DST gaps: times the clock skips never occur', () => {
  it('a window starting inside the gap opens when the clock jumps (Berlin, 02:30 on 29 March 2026)', () => {
    const SUNDAY_NIGHT = [window(['sun'], '02:30', '04:00', 'Europe/Berlin')];
    // 01:59:59 CET, then the clock jumps from 02:00 CET to 03:00 CEST (01:00Z).
    expect(stateAt(SUNDAY_NIGHT, '2026-03-29T00:59:59.000Z')).toBe('2026-03-29T01:00:00.000Z');
    expect(stateAt(SUNDAY_NIGHT, '2026-03-29T01:00:00.000Z')).toBe('open');
    expect(stateAt(SUNDAY_NIGHT, '2026-03-29T01:59:59.999Z')).toBe('open');
    // 04:00 CEST: closed until the next Sunday's 02:30 CEST.
    expect(stateAt(SUNDAY_NIGHT, '2026-03-29T02:00:00.000Z')).toBe('2026-04-05T00:30:00.000Z');
  });

  it('a window wholly inside the gap does not open that day', () => {
    const IN_THE_GAP = [window(['sun'], '02:00', '02:59', 'Europe/Berlin')];
    expect(stateAt(IN_THE_GAP, '2026-03-28T12:00:00.000Z')).toBe('2026-04-05T00:00:00.000Z');
    expect(stateAt(IN_THE_GAP, '2026-03-29T01:00:00.000Z')).toBe('2026-04-05T00:00:00.000Z');
  });

  it('New York, 8 March 2026: 02:15 opens at 03:00 EDT', () => {
    const GAP = [window(['sun'], '02:15', '03:30', 'America/New_York')];
    expect(stateAt(GAP, '2026-03-08T06:59:59.000Z')).toBe('2026-03-08T07:00:00.000Z');
    expect(stateAt(GAP, '2026-03-08T07:00:00.000Z')).toBe('open');
    expect(stateAt(GAP, '2026-03-08T07:30:00.000Z')).toBe('2026-03-15T06:15:00.000Z');
  });

  it('Lord Howe Island moves its clock by 30 minutes (5 April 2026 back, 4 October 2026 forward)', () => {
    // 4 October 2026: 02:00 LHST (+10:30) becomes 02:30 LHDT (+11), at 15:30Z on 3 October.
    const HALF_HOUR_GAP = [window(['sun'], '02:10', '02:40', 'Australia/Lord_Howe')];
    expect(stateAt(HALF_HOUR_GAP, '2026-10-03T15:00:00.000Z')).toBe('2026-10-03T15:30:00.000Z');
    expect(stateAt(HALF_HOUR_GAP, '2026-10-03T15:39:59.000Z')).toBe('open');
  });
});

describe('DST folds: times the clock shows twice are inside the window both times', () => {
  it('Berlin, 25 October 2026: 02:00-02:30 opens at 02:00 CEST and again at 02:00 CET', () => {
    const FOLD = [window(['sun'], '02:00', '02:30', 'Europe/Berlin')];
    expect(stateAt(FOLD, '2026-10-24T12:00:00.000Z')).toBe('2026-10-25T00:00:00.000Z');
    expect(stateAt(FOLD, '2026-10-25T00:00:00.000Z')).toBe('open');
    // 02:30 CEST: closed, until the clock falls back to 02:00 CET at 01:00Z.
    expect(stateAt(FOLD, '2026-10-25T00:30:00.000Z')).toBe('2026-10-25T01:00:00.000Z');
    expect(stateAt(FOLD, '2026-10-25T01:29:59.999Z')).toBe('open');
    expect(stateAt(FOLD, '2026-10-25T01:30:00.000Z')).toBe('2026-11-01T01:00:00.000Z');
  });

  it('a window the clock falls back into opens at the change, not at its start', () => {
    // 02:45 CEST is after the window; at 01:00Z the clock shows 02:00 CET, inside it.
    const BEFORE_THE_CHANGE = [window(['sun'], '01:00', '02:15', 'Europe/Berlin')];
    expect(stateAt(BEFORE_THE_CHANGE, '2026-10-25T00:45:00.000Z')).toBe('2026-10-25T01:00:00.000Z');
  });

  it('New York, 1 November 2026: 01:00-01:30 opens at 01:00 EDT and again at 01:00 EST', () => {
    const FOLD = [window(['sun'], '01:00', '01:30', 'America/New_York')];
    expect(stateAt(FOLD, '2026-11-01T05:00:00.000Z')).toBe('open');
    expect(stateAt(FOLD, '2026-11-01T05:30:00.000Z')).toBe('2026-11-01T06:00:00.000Z');
    expect(stateAt(FOLD, '2026-11-01T06:15:00.000Z')).toBe('open');
  });
});

describe('day boundaries', () => {
  it('00:00-24:00 covers the whole day, and only that day', () => {
    const SATURDAY = [window(['sat'], '00:00', '24:00', 'UTC')];
    expect(stateAt(SATURDAY, '2026-11-27T23:59:59.999Z')).toBe('2026-11-28T00:00:00.000Z');
    expect(stateAt(SATURDAY, '2026-11-28T00:00:00.000Z')).toBe('open');
    expect(stateAt(SATURDAY, '2026-11-28T23:59:59.999Z')).toBe('open');
    expect(stateAt(SATURDAY, '2026-11-29T00:00:00.000Z')).toBe('2026-12-05T00:00:00.000Z');
  });

  it('00:00-23:59 leaves the last minute out', () => {
    const ALMOST = [window(['sat'], '00:00', '23:59', 'UTC')];
    expect(stateAt(ALMOST, '2026-11-28T23:58:59.999Z')).toBe('open');
    expect(stateAt(ALMOST, '2026-11-28T23:59:00.000Z')).toBe('2026-12-05T00:00:00.000Z');
  });

  it("the day is the zone's: Saturday in Tokyo begins on Friday in UTC", () => {
    const TOKYO_SATURDAY = [window(['sat'], '00:00', '24:00', 'Asia/Tokyo')];
    expect(stateAt(TOKYO_SATURDAY, '2026-11-27T14:59:59.999Z')).toBe('2026-11-27T15:00:00.000Z');
    expect(stateAt(TOKYO_SATURDAY, '2026-11-27T15:00:00.000Z')).toBe('open');
    expect(stateAt(TOKYO_SATURDAY, '2026-11-28T14:59:59.999Z')).toBe('open');
  });

  it("a late window on Monday in Los Angeles is Tuesday's in UTC", () => {
    const LATE = [window(['mon'], '23:00', '24:00', 'America/Los_Angeles')];
    expect(stateAt(LATE, '2026-11-24T07:00:00.000Z')).toBe('open');
    expect(stateAt(LATE, '2026-11-24T08:00:00.000Z')).toBe('2026-12-01T07:00:00.000Z');
  });

  it('crosses a year and a leap day', () => {
    const NEW_YEAR = [window(['fri'], '00:00', '01:00', 'UTC')];
    expect(stateAt(NEW_YEAR, '2027-12-31T01:00:00.000Z')).toBe('2028-01-07T00:00:00.000Z');
    const LEAP = [window(['tue'], '00:00', '01:00', 'UTC')];
    expect(stateAt(LEAP, '2028-02-28T12:00:00.000Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('a zone that skips a day (Pacific/Apia skipped Friday 30 December 2011): the next Friday', () => {
    const FRIDAY = [window(['fri'], '10:00', '12:00', 'Pacific/Apia')];
    expect(stateAt(FRIDAY, '2011-12-28T12:00:00.000Z')).toBe('2012-01-05T20:00:00.000Z');
  });
});

describe('several windows', () => {
  const TWO = [
    window(['mon'], '09:00', '10:00', 'Europe/Berlin'),
    window(['mon'], '09:00', '10:00', 'America/New_York'),
  ];

  it('is open when any window is', () => {
    expect(stateAt(TWO, '2026-11-23T08:30:00.000Z')).toBe('open');
    expect(stateAt(TWO, '2026-11-23T14:30:00.000Z')).toBe('open');
  });

  it('the next start is the earliest of them', () => {
    expect(stateAt(TWO, '2026-11-23T10:00:00.000Z')).toBe('2026-11-23T14:00:00.000Z');
    expect(stateAt(TWO, '2026-11-23T15:00:00.000Z')).toBe('2026-11-30T08:00:00.000Z');
  });
});

describe('against the zone clock minute by minute', () => {
  // The zones with odd offsets or DST rules: half and three-quarter hours, a 30-minute DST,
  // DST south of the equator, DST abolished, DST suspended during Ramadan.
  const ZONES = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'America/St_Johns',
    'Pacific/Chatham',
    'America/Sao_Paulo',
    'Africa/Casablanca',
    'Australia/Sydney',
  ];
  const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  const clocks = new Map<string, Intl.DateTimeFormat>();

  /** An oracle of its own: Intl's weekday and time, with none of wallClock.ts. */
  function openByIntl(spec: ReturnType<typeof window>, instant: number): boolean {
    let clock = clocks.get(spec.timeZone);
    if (!clock) {
      clock = new Intl.DateTimeFormat('en-GB', {
        timeZone: spec.timeZone,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
      clocks.set(spec.timeZone, clock);
    }
    const parts = Object.fromEntries(clock.formatToParts(instant).map((part) => [part.type, part.value]));
    const time = `${parts.hour}:${parts.minute}`;
    return (
      spec.days.includes((parts.weekday ?? '').slice(0, 3).toLowerCase()) &&
      spec.start <= time &&
      time < spec.end
    );
  }

  const time = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  const windowArbitrary = fc
    .record({
      days: fc.subarray([...WEEKDAY_NAMES], { minLength: 1 }),
      start: fc.integer({ min: 0, max: 1439 }),
      length: fc.integer({ min: 1, max: 600 }),
      timeZone: fc.constantFrom(...ZONES),
    })
    .map(({ days, start, length, timeZone }) =>
      window(days, time(start), time(Math.min(1440, start + length)), timeZone),
    );

  it('is open exactly when the clock shows a time inside; the next start is the first such minute', () => {
    fc.assert(
      fc.property(
        windowArbitrary,
        // 2020 to 2030, any second
        fc.integer({ min: Date.UTC(2020, 0, 1) / 1000, max: Date.UTC(2030, 0, 1) / 1000 }),
        (spec, seconds) => {
          const now = seconds * 1000;
          const state = deployWindowState(windows([spec]), new Date(now));
          expect(state.open).toBe(openByIntl(spec, now));
          if (state.open) return;
          // Offsets are whole minutes in these years: the window opens on a minute.
          let first = Math.floor(now / 60_000) * 60_000 + 60_000;
          while (!openByIntl(spec, first)) first += 60_000;
          expect(state.nextStart?.toISOString()).toBe(new Date(first).toISOString());
        },
      ),
      { numRuns: 40, seed: 17 },
    );
  });
});
