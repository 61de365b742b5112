// How values read on a page: times, ages, lifetimes, locks, skip causes, in words. Pure; "now" is
// an argument. Text from the repo is shown as it is (templates escape it) but bounded in length.
import { parseRfc3339 } from '../domain/time.js';

/** The longest text from the repo a cell shows; the rest is cut with an ellipsis. */
const SHOWN_TEXT = 300;

export function shortText(text: string, max = SHOWN_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** "2026-11-20 09:00 UTC"; text that is no time is shown as it is. */
export function formatTime(text: string | undefined): string {
  if (text === undefined || text === '') return '';
  const time = Date.parse(text);
  if (Number.isNaN(time)) return shortText(text, 64);
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "3 days", "5 hours", "12 minutes", "less than a minute". */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const units: [number, string][] = [
    [60 * 24 * 7, 'week'],
    [60 * 24, 'day'],
    [60, 'hour'],
    [1, 'minute'],
  ];
  for (const [size, unit] of units) {
    const count = Math.floor(minutes / size);
    if (count >= 1) return `${count} ${unit}${count === 1 ? '' : 's'}`;
  }
  return 'less than a minute';
}

/** How old something created at `createdAt` is at `now`; undefined for no valid time. */
export function ageMs(createdAt: string | undefined, now: Date): number | undefined {
  const time = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
  return Number.isNaN(time) ? undefined : Math.max(0, now.getTime() - time);
}

const LIFETIME = /^([1-9][0-9]{0,5}) ?(m|min|minutes?|h|hours?|d|days?|w|weeks?)$/i;

/**
 * A suggested lifetime as Kuberpult's UI writes it ("30m", "4h", "2d", "1w"), in milliseconds;
 * undefined for anything else (it is then shown, never judged).
 */
export function parseLifetime(text: string | undefined): number | undefined {
  const match = text === undefined ? null : LIFETIME.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] as string)[0]?.toLowerCase();
  const minutes = { m: 1, h: 60, d: 60 * 24, w: 60 * 24 * 7 }[unit as 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * minutes * 60_000;
}

/** A link only for an absolute http(s) URL; anything else from the repo is shown as text. */
export function safeLink(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && !/\s/.test(url)
      ? parsed.href
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a timed lock blocks at a moment, in words (a lock without bounds is always in force). */
export type LockValidity = 'in force' | 'not yet in force' | 'expired';

export interface LockBounds {
  readonly validFrom?: string;
  readonly validUntil?: string;
}

/** "from 2026-12-20 09:00 UTC until 2026-12-24 00:00 UTC", "from …", "until …"; '' without bounds. */
export function validityWindow(lock: LockBounds): string {
  const from = lock.validFrom ? `from ${formatTime(lock.validFrom)}` : '';
  const until = lock.validUntil ? `until ${formatTime(lock.validUntil)}` : '';
  return [from, until].filter((part) => part !== '').join(' ');
}

/** Whether the lock blocks at `now`: before validFrom it does not yet, from validUntil on never again. */
export function lockValidity(lock: LockBounds, now: Date): LockValidity {
  const from = lock.validFrom === undefined ? undefined : parseRfc3339(lock.validFrom);
  const until = lock.validUntil === undefined ? undefined : parseRfc3339(lock.validUntil);
  if (until !== undefined && now.getTime() >= until) return 'expired';
  if (from !== undefined && now.getTime() < from) return 'not yet in force';
  return 'in force';
}

export interface LockLike extends LockBounds {
  readonly lockId: string;
  readonly message: string;
  readonly createdAt?: string;
  readonly createdBy: { readonly name: string; readonly email: string };
  readonly ciLink?: string;
  readonly suggestedLifetime?: string;
}

/** A lock as one line of a page. */
export interface LockLine {
  readonly lockId: string;
  readonly message: string;
  readonly author: string;
  readonly created: string;
  /** A timed lock's bounds in words ("until 2026-12-24 00:00 UTC"); '' for a lock without. */
  readonly window: string;
  readonly ciLink?: string;
}

export function lockLine(lock: LockLike): LockLine {
  const link = safeLink(lock.ciLink);
  return {
    lockId: lock.lockId,
    message: shortText(lock.message),
    author: describePerson(lock.createdBy.name, lock.createdBy.email),
    created: formatTime(lock.createdAt),
    window: validityWindow(lock),
    ...(link ? { ciLink: link } : {}),
  };
}

export function describePerson(name: string, email: string): string {
  if (name && email) return shortText(`${name} <${email}>`, 200);
  return shortText(name || email || 'unknown', 200);
}

/** Why a whole environment is skipped, in words. */
export function environmentSkipReason(cause: string, upstream?: string): string {
  switch (cause) {
    case 'ENV_HAS_NO_UPSTREAM':
      return 'it has no upstream configured';
    case 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV':
      return 'its upstream names neither latest nor an environment';
    case 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV':
      return 'its upstream names both latest and an environment';
    case 'UPSTREAM_ENV_CONFIG_NOT_FOUND':
      return `its upstream environment '${upstream ?? '?'}' does not exist`;
    case 'ENV_IS_LOCKED':
      return 'the environment is locked';
    case 'ENV_OUTSIDE_DEPLOY_WINDOW':
      return 'it is outside its deploy windows';
    default:
      return cause;
  }
}

/** Why one app is skipped in an environment, in words. */
export function appSkipReason(
  cause: string,
  details: { readonly source?: string; readonly team?: string; readonly version?: number },
): string {
  switch (cause) {
    case 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV':
      return `it is not deployed in ${details.source ?? 'the upstream environment'}`;
    case 'APP_ALREADY_IN_UPSTREAM_VERSION':
      return `it already runs version ${details.version ?? 'of the upstream'}`;
    case 'APP_IS_LOCKED':
      return 'the application is locked here';
    case 'APP_DOES_NOT_EXIST_IN_ENV':
      return 'the release to take has no manifest for this environment';
    case 'NO_TEAM_PERMISSION':
      return `you are not in its team '${details.team ?? ''}'`;
    case 'TEAM_IS_LOCKED':
      return `its team '${details.team ?? ''}' is locked here`;
    default:
      return cause;
  }
}
