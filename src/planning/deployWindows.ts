// Deploy windows (windows.md): reading `deployWindows` of a config.json, whether an instant is
// inside one, and when the next one opens. Pure: the instant is an argument; a zone's wall clock
// comes from the runtime's time zone data (wallClock.ts).
//
// A window is [start, end) of the zone's wall clock on each of its days. Where DST makes the
// wall clock jump, the window is open whenever the clock shows a time inside it:
// - spring forward: times the clock skips never occur. A window that starts inside the gap opens
//   when the clock jumps (02:30 in Berlin on the last Sunday of March opens at 03:00 CEST); one
//   that lies wholly inside the gap does not open that day.
// - fall back: times the clock shows twice are inside the window both times (02:00-02:30 on the
//   last Sunday of October in Berlin is open 02:00-02:30 CEST and again 02:00-02:30 CET).
import {
  isValidTimeZone,
  MAX_DEPLOY_WINDOWS,
  minutesOfDay,
  WEEKDAYS,
  WINDOW_END_PATTERN,
  WINDOW_FIELDS,
  WINDOW_START_PATTERN,
} from '../domain/deployWindows.js';
import type { DeployWindow } from './model.js';
import { offsetSpans, wallClock } from './wallClock.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * How far ahead the next opening is looked for: windows repeat every week; the rest is slack for
 * a zone that skips a day (Pacific/Apia skipped 30 December 2011) and for DST.
 */
const HORIZON_MS = 15 * DAY;

export type DeployWindowsRead =
  | { readonly ok: true; readonly windows: readonly DeployWindow[] }
  | { readonly ok: false; readonly reason: string };

/** `deployWindows` of a config.json; absent, null or [] is no window (always open). */
export function parseDeployWindows(value: unknown): DeployWindowsRead {
  if (value === undefined || value === null) return { ok: true, windows: [] };
  const refuse = (where: string, problem: string): DeployWindowsRead => ({
    ok: false,
    reason: `deployWindows${where} ${problem}`,
  });
  if (!Array.isArray(value)) return refuse('', 'must be a list of windows');
  if (value.length > MAX_DEPLOY_WINDOWS) return refuse('', `must have at most ${MAX_DEPLOY_WINDOWS} windows`);
  const windows: DeployWindow[] = [];
  for (const [index, entry] of value.entries()) {
    const at = (field?: string) => `[${index}]${field === undefined ? '' : `.${field}`}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return refuse(at(), 'must be an object with days, start, end and timeZone');
    }
    const window = entry as Record<string, unknown>;
    const unknown = Object.keys(window).find((key) => !(WINDOW_FIELDS as readonly string[]).includes(key));
    if (unknown !== undefined) {
      return refuse(
        at(),
        `has the unknown field ${JSON.stringify(unknown)} (known: ${WINDOW_FIELDS.join(', ')})`,
      );
    }
    const { days, start, end, timeZone } = window;
    if (!Array.isArray(days) || days.length === 0)
      return refuse(at('days'), 'must be a non-empty list of days');
    const isoDays: number[] = [];
    for (const day of days) {
      const found = WEEKDAYS.indexOf(day as (typeof WEEKDAYS)[number]);
      if (found < 0) return refuse(at('days'), `must name days as ${WEEKDAYS.join(', ')}`);
      if (!isoDays.includes(found + 1)) isoDays.push(found + 1);
    }
    if (typeof start !== 'string' || !WINDOW_START_PATTERN.test(start)) {
      return refuse(at('start'), 'must be HH:MM (24-hour, 00:00 to 23:59)');
    }
    if (typeof end !== 'string' || !WINDOW_END_PATTERN.test(end)) {
      return refuse(at('end'), 'must be HH:MM (24-hour, up to 24:00)');
    }
    if (minutesOfDay(start) >= minutesOfDay(end)) return refuse(at('end'), 'must be after start');
    if (typeof timeZone !== 'string' || !isValidTimeZone(timeZone)) {
      return refuse(at('timeZone'), 'must be an IANA time zone name such as Europe/Berlin');
    }
    windows.push({
      days: isoDays.sort((a, b) => a - b),
      startMinute: minutesOfDay(start),
      endMinute: minutesOfDay(end),
      timeZone,
    });
  }
  return { ok: true, windows };
}

export type DeployWindowState =
  | { readonly open: true }
  /** `nextStart`: undefined when no window opens within the next 15 days (a zone that skips days). */
  | { readonly open: false; readonly nextStart: Date | undefined };

/** Whether a train may deploy at `now`, and if not, when the next window opens. No window: open. */
export function deployWindowState(windows: readonly DeployWindow[], now: Date): DeployWindowState {
  const instant = now.getTime();
  if (windows.length === 0 || windows.some((window) => isOpen(window, instant))) return { open: true };
  let next: number | undefined;
  for (const window of windows) {
    const opening = nextOpening(window, instant);
    if (opening !== undefined && (next === undefined || opening < next)) next = opening;
  }
  return { open: false, nextStart: next === undefined ? undefined : new Date(next) };
}

function isOpen(window: DeployWindow, instant: number): boolean {
  return isOpenOnWall(window, wallClock(window.timeZone, instant));
}

function isOpenOnWall(window: DeployWindow, wall: number): boolean {
  const date = new Date(wall);
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  return window.days.includes(isoWeekday(date)) && minute >= window.startMinute && minute < window.endMinute;
}

/** ISO weekday of a wall clock number: 1 (Monday) to 7 (Sunday). */
function isoWeekday(wall: Date): number {
  return ((wall.getUTCDay() + 6) % 7) + 1;
}

/**
 * The first instant after `after` at which the window opens. Within a span of constant offset the
 * wall clock runs evenly, so the window can only open where the clock shows its start on one of
 * its days, or where the clock jumps into it (the start of a span).
 */
function nextOpening(window: DeployWindow, after: number): number | undefined {
  let previousOffset: number | undefined;
  for (const span of offsetSpans(window.timeZone, after, after + HORIZON_MS)) {
    const shift = span.offsetSeconds * 1000;
    const jumped = previousOffset !== undefined && previousOffset !== span.offsetSeconds;
    previousOffset = span.offsetSeconds;
    if (jumped && isOpenOnWall(window, span.from + shift)) return span.from;
    const firstDay = Math.floor((span.from + shift) / DAY);
    const lastDay = Math.floor((span.until - 1 + shift) / DAY);
    for (let day = firstDay; day <= lastDay; day++) {
      const wallStart = day * DAY + window.startMinute * MINUTE;
      const start = wallStart - shift;
      if (start <= after || start < span.from || start >= span.until) continue;
      if (window.days.includes(isoWeekday(new Date(wallStart)))) return start;
    }
  }
  return undefined;
}
