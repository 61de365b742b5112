// The rules of a deploy window in config.json (windows.md), as plain rules: the reader of the repo
// (planning/deployWindows.ts) and the API's zod schema (schemas/environments.ts) are built on
// them, so that a window a client may send and a window the repo may hold are one rule.

/** The days of a window, Monday first (ISO 8601 weekday = index + 1). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `HH:MM`, 24-hour, 00:00 to 23:59. */
export const WINDOW_START_PATTERN = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
/** The same, and 24:00 for a window that lasts until the end of its day. */
export const WINDOW_END_PATTERN = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** The most windows one environment may have: they are evaluated for every train. */
export const MAX_DEPLOY_WINDOWS = 100;

/** The fields of a window; any other field is refused (a rule not understood must not open it). */
export const WINDOW_FIELDS = ['days', 'start', 'end', 'timeZone'] as const;

/** Minutes after midnight of a time that matched one of the patterns. */
export function minutesOfDay(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

// A name of the tz database: Area/Location, or a single name such as UTC; never an offset such
// as +01:00 (newer runtimes accept those, and they know no DST).
const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * Names found valid: asking Intl costs half a millisecond, and every read of a config.json asks.
 * Bounded, since names match case-insensitively (each spelling is an entry).
 */
const knownTimeZones = new Set<string>();
const KNOWN_TIME_ZONES_MAX = 2048;

/** An IANA time zone name that the runtime's time zone data knows (names match case-insensitively). */
export function isValidTimeZone(name: string): boolean {
  if (knownTimeZones.has(name)) return true;
  if (name.length > 64 || !TIME_ZONE_NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    // RangeError: a zone the time zone data does not have.
    return false;
  }
  if (knownTimeZones.size < KNOWN_TIME_ZONES_MAX) knownTimeZones.add(name);
  return true;
}
