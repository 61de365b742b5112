// The wall clock of a time zone, from the runtime's time zone data (Intl.DateTimeFormat): what a
// clock in the zone shows at an instant, and the spans of time in which its offset from UTC stays
// the same. No rule of any zone is written here; the instant is always an argument (no clock read).

/**
 * Formatters by zone: making one costs far more than using it. Only zones Intl knows get in;
 * bounded, since zone names match case-insensitively (each spelling is an entry).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const FORMATTERS_MAX = 2048;

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for a zone the time zone data does not have.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size < FORMATTERS_MAX) formatters.set(timeZone, formatter);
  }
  return formatter;
}

const SECOND = 1000;

/**
 * How many seconds the zone's clock is ahead of UTC at `instant` (ms since the epoch); negative
 * west of Greenwich. Instants from year 1 on.
 */
export function utcOffsetSeconds(timeZone: string, instant: number): number {
  const fields: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatterOf(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = new Date(0);
  wall.setUTCFullYear(fields.year ?? 0, (fields.month ?? 1) - 1, fields.day ?? 1);
  wall.setUTCHours(fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0, 0);
  return Math.round((wall.getTime() - Math.floor(instant / SECOND) * SECOND) / SECOND);
}

/**
 * What the zone's clock shows at `instant`, as a number read with the UTC getters of Date (its
 * getUTCDay is the local weekday, getUTCHours the local hour): instant + offset.
 */
export function wallClock(timeZone: string, instant: number): number {
  return instant + utcOffsetSeconds(timeZone, instant) * SECOND;
}

/** A span of time [from, until) (ms since the epoch) in which the zone's offset stays the same. */
export interface OffsetSpan {
  readonly from: number;
  readonly until: number;
  readonly offsetSeconds: number;
}

/**
 * The offset is sampled this far apart, and a change between two samples is found to the second.
 * Zones change their offset at most a few times a year and never twice within hours, so no
 * change is missed.
 */
const SAMPLE_MS = 6 * 60 * 60 * SECOND;

/**
 * Spans of constant offset that cover [from, until), in order, each at most SAMPLE_MS long (two
 * of them may have the same offset); found as they are asked for, so that a search that ends
 * early samples no further.
 */
export function* offsetSpans(timeZone: string, from: number, until: number): Generator<OffsetSpan> {
  let offset = utcOffsetSeconds(timeZone, from);
  for (let sample = from; sample < until; ) {
    const next = Math.min(sample + SAMPLE_MS, until);
    const nextOffset = utcOffsetSeconds(timeZone, next);
    if (nextOffset === offset) {
      yield { from: sample, until: next, offsetSeconds: offset };
    } else {
      const change = offsetChange(timeZone, sample, next, offset);
      yield { from: sample, until: change, offsetSeconds: offset };
      yield { from: change, until: next, offsetSeconds: utcOffsetSeconds(timeZone, change) };
    }
    offset = nextOffset;
    sample = next;
  }
}

/** The first whole second in (before, after] whose offset differs from `offset` (at `before`). */
function offsetChange(timeZone: string, before: number, after: number, offset: number): number {
  // Offsets change on whole seconds: search the seconds, the last with the old offset is `low`.
  let low = Math.floor(before / SECOND);
  let high = Math.ceil(after / SECOND);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (utcOffsetSeconds(timeZone, middle * SECOND) === offset) low = middle;
    else high = middle;
  }
  return Math.max(high * SECOND, before + 1);
}
