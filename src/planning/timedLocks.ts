// Timed locks (windows.md "Timed locks"): a lock with `validFrom` / `validUntil` is in force only
// in [validFrom, validUntil); outside it blocks nothing. Every planner that asks "is it locked?"
// asks "is it locked now?" here. Pure: "now" is an argument.
import { parseRfc3339 } from '../domain/time.js';
import type { TreeChange, WritePlan } from './changes.js';
import type {
  AppInEnvironment,
  Environment,
  Lock,
  LockMap,
  Readable,
  Snapshot,
  Unreadable,
} from './model.js';
import { compareNames, sortedKeys } from './readable.js';

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
  if (locks.size === 0) return [];
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

/**
 * windows.md: a lock whose interval is over may be removed by the next write that touches its
 * environment. Adds to a planned write that changes something under `environments/<env>/` the
 * removal of every expired lock of those environments (environment, team and application locks),
 * with one line each in the commit message before its trailers. A lock the write itself writes or
 * removes is left to it; a write that changes nothing stays without a commit.
 */
export function withExpiredLocksRemoved<T>(snapshot: Snapshot, plan: WritePlan<T>, now: Date): WritePlan<T> {
  if (plan.changes.length === 0) return plan;
  const touched = new Set<string>();
  for (const { path } of plan.changes) {
    const [top, environment] = path.split('/');
    if (top === 'environments' && environment !== undefined) touched.add(environment);
  }
  const removals: TreeChange[] = [];
  const lines: string[] = [];
  const overlaps = (directory: string) =>
    plan.changes.some(
      ({ path }) =>
        path === directory || path.startsWith(`${directory}/`) || directory.startsWith(`${path}/`),
    );
  for (const name of [...touched].sort(compareNames)) {
    const environment = snapshot.environments.get(name);
    if (!environment) continue;
    for (const { directory, lock, where } of readableLocksOf(environment)) {
      if (!lockExpired(lock, now) || overlaps(directory)) continue;
      removals.push({ kind: 'delete', path: directory });
      lines.push(`Removed lock "${lock.lockId}" ${where}: it was in force until ${lock.validUntil}`);
    }
  }
  if (removals.length === 0) return plan;
  const split = plan.message.lastIndexOf('\n\n');
  const message =
    split < 0
      ? `${plan.message}\n\n${lines.join('\n')}`
      : `${plan.message.slice(0, split)}\n\n${lines.join('\n')}${plan.message.slice(split)}`;
  return { ...plan, changes: [...plan.changes, ...removals], message };
}

/** Every lock of an environment that could be read, with its directory and a description. */
function readableLocksOf(environment: Environment): { directory: string; lock: Lock; where: string }[] {
  const base = `environments/${environment.name}`;
  const found: { directory: string; lock: Lock; where: string }[] = [];
  const add = (locks: Readable<LockMap>, directory: string, where: string) => {
    // Unreadable locks are the business of the operations that need them.
    if (!locks.ok) return;
    for (const lockId of sortedKeys(locks.value)) {
      found.push({ directory: `${directory}/${lockId}`, lock: locks.value.get(lockId) as Lock, where });
    }
  };
  add(environment.locks, `${base}/locks`, `on environment "${environment.name}"`);
  for (const team of sortedKeys(environment.teamLocks)) {
    const locks = environment.teamLocks.get(team) as Readable<LockMap>;
    add(locks, `${base}/teams/${team}/locks`, `on team "${team}" in environment "${environment.name}"`);
  }
  for (const app of sortedKeys(environment.applications)) {
    const state = environment.applications.get(app) as AppInEnvironment;
    add(
      state.locks,
      `${base}/applications/${app}/locks`,
      `on application "${app}" in environment "${environment.name}"`,
    );
  }
  return found;
}
