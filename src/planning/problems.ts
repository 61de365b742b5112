// Which operations the problems of a snapshot fail (model.ts `Problem`): an answer that depends
// on an entry the snapshot could not read would be a guess, and a write next to it could
// overwrite it. Each check throws CorruptRepoError naming the entry.
import { CorruptRepoError } from '../domain/errors.js';
import type { Problem, ProblemScope, Snapshot } from './model.js';

function requireNone(snapshot: Snapshot, hides: (scope: ProblemScope) => boolean): void {
  const problem = snapshot.problems.find((candidate) => hides(candidate.hides));
  if (problem) throw corrupt(problem);
}

function corrupt(problem: Problem): CorruptRepoError {
  return new CorruptRepoError(problem.file, problem.reason);
}

/**
 * Every operation, reads and writes: with `environments` or `applications` unreadable nothing
 * can be answered, and a commit would write over them.
 */
export function requireLayout(snapshot: Snapshot): void {
  requireNone(snapshot, (scope) => scope.kind === 'environments' || scope.kind === 'applications');
}

/** An operation on one environment, existing or not. */
export function requireEnvironment(snapshot: Snapshot, name: string): void {
  requireNone(
    snapshot,
    (scope) => scope.kind === 'environments' || (scope.kind === 'environment' && scope.name === name),
  );
}

/** An operation that needs every environment: the members of a group, a target of unknown type. */
export function requireEveryEnvironment(snapshot: Snapshot): void {
  requireNone(snapshot, (scope) => scope.kind === 'environments' || scope.kind === 'environment');
}

/** An operation on one application, existing or not. */
export function requireApplication(snapshot: Snapshot, name: string): void {
  // Asked once per app and environment of a train: no closure made when there is nothing to find.
  if (snapshot.problems.length === 0) return;
  requireNone(
    snapshot,
    (scope) => scope.kind === 'applications' || (scope.kind === 'application' && scope.name === name),
  );
}

/** An operation that needs every application: the apps a `latest` train takes, the teams there are. */
export function requireEveryApplication(snapshot: Snapshot): void {
  requireNone(snapshot, (scope) => scope.kind === 'applications' || scope.kind === 'application');
}
