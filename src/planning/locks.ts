// Creating and removing the four kinds of lock (manifest-repo.md, release-train.md "Releases and
// locks that trains depend on"). Pure: (snapshot, request) -> the changes of one commit.
import { AppError } from '../domain/errors.js';
import { parseRfc3339 } from '../domain/time.js';
import type { Identity, TreeChange, WritePlan } from './changes.js';
import { appPath } from './deploymentChanges.js';
import type { Environment, Lock, Snapshot } from './model.js';
import {
  requireEnvironment,
  requireEveryApplication,
  requireEveryEnvironment,
  requireLayout,
} from './problems.js';
import { compareNames, mustRead } from './readable.js';
import { LOCK_BOUND_FILES, lockInForce } from './timedLocks.js';

export type LockTarget =
  | { readonly kind: 'environment'; readonly environment: string }
  | { readonly kind: 'application'; readonly environment: string; readonly app: string }
  | { readonly kind: 'team'; readonly environment: string; readonly team: string }
  | { readonly kind: 'group'; readonly group: string };

export interface LockInput {
  readonly lockId: string;
  readonly message: string;
  readonly ciLink?: string;
  readonly suggestedLifetime?: string;
  /** RFC 3339 (windows.md "Timed locks"); stored in UTC. */
  readonly validFrom?: string;
  readonly validUntil?: string;
}

export interface LockWriteContext {
  readonly author: Identity;
  readonly time: Date;
  readonly trailers: string;
}

export interface LockResult {
  readonly lock: Lock;
  /** The environments whose lock directory was written or removed. */
  readonly environments: readonly string[];
  /** Whether the lock blocks at the time of the write. */
  readonly inForce: boolean;
}

export function planCreateLock(
  snapshot: Snapshot,
  target: LockTarget,
  input: LockInput,
  context: LockWriteContext,
): WritePlan<LockResult> {
  const environments = environmentsOf(snapshot, target);
  const { validFrom, validUntil } = lockInterval(input, context.time);
  const lock: Lock = {
    lockId: input.lockId,
    message: input.message,
    createdAt: context.time.toISOString(),
    createdByName: context.author.name,
    createdByEmail: context.author.email,
    ...(input.ciLink !== undefined ? { ciLink: input.ciLink } : {}),
    ...(input.suggestedLifetime !== undefined ? { suggestedLifetime: input.suggestedLifetime } : {}),
    ...(validFrom !== undefined ? { validFrom } : {}),
    ...(validUntil !== undefined ? { validUntil } : {}),
  };
  const changes = environments.flatMap((environment) => {
    // Written only next to locks that can be read: an entry that is not a locks directory (or
    // an app entry that is not a directory) is never written over.
    locksOf(snapshot.environments.get(environment) as Environment, target);
    const directory = lockDirectory(target, environment, input.lockId);
    // Replacing: the old directory goes first, so no field of the old lock survives.
    return [{ kind: 'delete', path: directory } as const, ...lockFileChanges(directory, lock)];
  });
  return {
    changes,
    message: `Created lock "${input.lockId}" ${describeTarget(target)}${describeInterval(lock)}\n\n${context.trailers}`,
    result: { lock, environments, inForce: lockInForce(lock, context.time) },
  };
}

/**
 * The bounds of a new lock, in UTC. Refused (400): an interval that is over at `now` (the lock
 * would never block) or empty.
 */
function lockInterval(input: LockInput, now: Date): { validFrom?: string; validUntil?: string } {
  const instant = (field: 'validFrom' | 'validUntil') => {
    const text = input[field];
    if (text === undefined) return undefined;
    const parsed = parseRfc3339(text);
    if (parsed === undefined) {
      throw new AppError('INVALID_INPUT', `${field} must be an RFC 3339 time, such as 2026-12-20T00:00:00Z.`);
    }
    return parsed;
  };
  const from = instant('validFrom');
  const until = instant('validUntil');
  if (until !== undefined && until <= now.getTime()) {
    throw new AppError(
      'INVALID_INPUT',
      `validUntil ${input.validUntil} is not in the future (it is ${now.toISOString()}): the lock would never be in force.`,
    );
  }
  if (from !== undefined && until !== undefined && from >= until) {
    throw new AppError(
      'INVALID_INPUT',
      `validFrom ${input.validFrom} is not before validUntil ${input.validUntil}: the lock would never be in force.`,
    );
  }
  return {
    ...(from !== undefined ? { validFrom: new Date(from).toISOString() } : {}),
    ...(until !== undefined ? { validUntil: new Date(until).toISOString() } : {}),
  };
}

/** The interval of a timed lock, for its commit message. */
function describeInterval(lock: Lock): string {
  if (lock.validFrom !== undefined && lock.validUntil !== undefined) {
    return `, in force from ${lock.validFrom} until ${lock.validUntil}`;
  }
  if (lock.validFrom !== undefined) return `, in force from ${lock.validFrom}`;
  if (lock.validUntil !== undefined) return `, in force until ${lock.validUntil}`;
  return '';
}

export function planDeleteLock(
  snapshot: Snapshot,
  target: LockTarget,
  lockId: string,
  context: Pick<LockWriteContext, 'trailers'>,
): WritePlan<LockResult> {
  const changes: TreeChange[] = [];
  const environments: string[] = [];
  let removed: Lock | undefined;
  // A team lock can outlive the last app of its team: it can still be removed.
  for (const name of environmentsOf(snapshot, target, { teamMustExist: false })) {
    const environment = snapshot.environments.get(name) as Environment;
    const lock = locksOf(environment, target).get(lockId);
    if (!lock) continue;
    removed ??= lock;
    environments.push(name);
    changes.push({ kind: 'delete', path: lockDirectory(target, name, lockId) });
    changes.push(...releasedQueueChanges(snapshot, environment, target));
  }
  if (!removed) {
    throw new AppError('LOCK_NOT_FOUND', `There is no lock '${lockId}' ${describeTarget(target)}.`);
  }
  return {
    changes,
    message: `Deleted lock "${lockId}" ${describeTarget(target)}\n\n${context.trailers}`,
    result: { lock: removed, environments, inForce: false },
  };
}

export function lockFileChanges(directory: string, lock: Lock): TreeChange[] {
  const file = (name: string, content: string): TreeChange => ({
    kind: 'file',
    path: `${directory}/${name}`,
    content,
  });
  return [
    file('message', lock.message),
    file('created_by_name', lock.createdByName),
    file('created_by_email', lock.createdByEmail),
    file('created_at', lock.createdAt),
    ...(lock.ciLink !== undefined ? [file('ci_link', lock.ciLink)] : []),
    ...(lock.suggestedLifetime !== undefined ? [file('suggested_lifetime', lock.suggestedLifetime)] : []),
    ...(lock.validFrom !== undefined ? [file(LOCK_BOUND_FILES.validFrom, lock.validFrom)] : []),
    ...(lock.validUntil !== undefined ? [file(LOCK_BOUND_FILES.validUntil, lock.validUntil)] : []),
  ];
}

/** The environments a lock target covers; 404 for an unknown environment, group or team. */
function environmentsOf(snapshot: Snapshot, target: LockTarget, { teamMustExist = true } = {}): string[] {
  requireLayout(snapshot);
  if (target.kind === 'group') {
    requireEveryEnvironment(snapshot);
    const members = [...snapshot.environments.values()]
      .filter((environment) => mustRead(environment.config).environmentGroup === target.group)
      .map((environment) => environment.name)
      .sort(compareNames);
    if (members.length === 0) {
      throw new AppError('TARGET_NOT_FOUND', `No environment group named '${target.group}' exists.`);
    }
    return members;
  }
  requireEnvironment(snapshot, target.environment);
  if (!snapshot.environments.has(target.environment)) {
    throw new AppError('ENVIRONMENT_NOT_FOUND', `No environment named '${target.environment}' exists.`);
  }
  const teamExists = (team: string) => [...snapshot.applications.values()].some((app) => app.team === team);
  if (target.kind === 'team' && teamMustExist && !teamExists(target.team)) {
    // An application the snapshot could not read may be of that team.
    requireEveryApplication(snapshot);
    throw new AppError('TEAM_NOT_FOUND', `Team '${target.team}' does not exist.`);
  }
  return [target.environment];
}

function lockDirectory(target: LockTarget, environment: string, lockId: string): string {
  switch (target.kind) {
    case 'environment':
    case 'group':
      return `environments/${environment}/locks/${lockId}`;
    case 'application':
      return `${appPath(environment, target.app)}/locks/${lockId}`;
    case 'team':
      return `environments/${environment}/teams/${target.team}/locks/${lockId}`;
  }
}

function locksOf(environment: Environment, target: LockTarget): ReadonlyMap<string, Lock> {
  switch (target.kind) {
    case 'environment':
    case 'group':
      return mustRead(environment.locks);
    case 'application': {
      const app = environment.applications.get(target.app);
      return app ? mustRead(app.locks) : new Map();
    }
    case 'team': {
      const locks = environment.teamLocks.get(target.team);
      return locks ? mustRead(locks) : new Map();
    }
  }
}

/**
 * Removing a lock deploys nothing; a queued version that equals the deployed one is done with
 * and goes. Apps whose versions cannot be read are left as they are.
 */
function releasedQueueChanges(
  snapshot: Snapshot,
  environment: Environment,
  target: LockTarget,
): TreeChange[] {
  const changes: TreeChange[] = [];
  for (const [app, state] of environment.applications) {
    if (target.kind === 'application' && app !== target.app) continue;
    if (target.kind === 'team' && snapshot.applications.get(app)?.team !== target.team) continue;
    const { queuedVersion, deployedVersion } = state;
    if (queuedVersion.ok && deployedVersion.ok && queuedVersion.value !== undefined) {
      if (queuedVersion.value === deployedVersion.value) {
        changes.push({ kind: 'delete', path: `${appPath(environment.name, app)}/queued_version` });
      }
    }
  }
  return changes;
}

function describeTarget(target: LockTarget): string {
  switch (target.kind) {
    case 'environment':
      return `on environment "${target.environment}"`;
    case 'group':
      return `on environment group "${target.group}"`;
    case 'application':
      return `on application "${target.app}" in environment "${target.environment}"`;
    case 'team':
      return `on team "${target.team}" in environment "${target.environment}"`;
  }
}
