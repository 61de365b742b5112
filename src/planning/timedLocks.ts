// Timed locks (windows.md "Timed locks"): a lock with `validFrom` / `validUntil` is in force only
// in [validFrom, validUntil); outside it blocks nothing. Every planner that asks "is it locked?"
// asks "is it locked now?" here. Pure: "now" is an argument.
import { parseRfc3339 } from '../domain/time.js';
import type { Lock, LockMap, Unreadable } from './model.js';
import { sortedKeys } from './readable.js';

/** Whether `lock` blocks at `now`. A lock without bounds always does. */
export function lockInForce(lock: Lock, now: Date): boolean {
  const instant = now.getTime();
  const from = bound(lock, 'validFrom');
  const until = bound(lock, 'validUntil');
  return (from === undefined || from <= instant) && (until === undefined || instant < until);
}

/** Whether `lock`'s interval is over at `now`: it will never block again. */
export function lockExpired(lock: Lock, now: Date): boolean {
  const until = bound(lock, 'validUntil');
  return until !== undefined && until <= now.getTime();
}

/** The locks of `locks` in force at `now`, in lock id order. */
export function locksInForce(locks: LockMap, now: Date): Lock[] {
  return sortedKeys(locks)
    .map((lockId) => locks.get(lockId) as Lock)
    .filter((lock) => lockInForce(lock, now));
}

function bound(lock: Lock, field: 'validFrom' | 'validUntil'): number | undefined {
  const text = lock[field];
  if (text === undefined) return undefined;
  const instant = parseRfc3339(text);
  // The readers refuse such a lock (lockBoundsProblem): guessing would lock or unlock wrongly.
  if (instant === undefined) throw new Error(`lock ${lock.lockId} has an unchecked ${field}`);
  return instant;
}

/** The lock files that hold the bounds (manifest-repo.md lock directories). */
export const LOCK_BOUND_FILES = { validFrom: 'valid_from', validUntil: 'valid_until' } as const;

/**
 * What makes the bounds of a lock read from `directory` unusable: a bound that is no RFC 3339
 * time, or an interval that is empty (it would never be in force: a lock nobody could see work).
 */
export function lockBoundsProblem(lock: Lock, directory: string): Unreadable | undefined {
  for (const field of ['validFrom', 'validUntil'] as const) {
    const text = lock[field];
    if (text !== undefined && parseRfc3339(text) === undefined) {
      return {
        ok: false,
        file: `${directory}/${LOCK_BOUND_FILES[field]}`,
        reason: 'not an RFC 3339 time (such as 2026-12-20T00:00:00Z)',
      };
    }
  }
  const from = lock.validFrom === undefined ? undefined : parseRfc3339(lock.validFrom);
  const until = lock.validUntil === undefined ? undefined : parseRfc3339(lock.validUntil);
  if (from !== undefined && until !== undefined && from >= until) {
    return {
      ok: false,
      file: `${directory}/${LOCK_BOUND_FILES.validUntil}`,
      reason: `is not after valid_from (${lock.validFrom}): the lock would never be in force`,
    };
  }
  return undefined;
}
