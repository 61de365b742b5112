// Which environments a train targets, as release-train.md "Resolving the target" says.
import type { Environment, Snapshot } from './model.js';
import { requireEnvironment, requireEveryEnvironment } from './problems.js';
import { compareNames, mustRead } from './readable.js';

export type TargetType = 'environment' | 'environmentGroup' | 'unknown';

export type ResolvedTarget =
  | {
      readonly kind: 'resolved';
      readonly resolvedType: 'environment' | 'environmentGroup';
      readonly environments: string[];
    }
  | { readonly kind: 'notFound' };

export function resolveTarget(snapshot: Snapshot, target: string, targetType: TargetType): ResolvedTarget {
  switch (targetType) {
    case 'environment':
      return resolveEnvironment(snapshot, target);
    case 'environmentGroup':
      return resolveGroup(snapshot, target);
    case 'unknown': {
      // A group wins over an environment of the same name. Group membership needs every config
      // (and every environment entry), so a corrupt one only fails this request when it could
      // be hiding the group.
      if (someValidConfigNamesGroup(snapshot, target)) return resolveGroup(snapshot, target);
      const asEnvironment = resolveEnvironment(snapshot, target);
      if (asEnvironment.kind === 'resolved') return asEnvironment;
      return resolveGroup(snapshot, target);
    }
  }
}

function resolveEnvironment(snapshot: Snapshot, target: string): ResolvedTarget {
  requireEnvironment(snapshot, target);
  return snapshot.environments.has(target)
    ? { kind: 'resolved', resolvedType: 'environment', environments: [target] }
    : { kind: 'notFound' };
}

function resolveGroup(snapshot: Snapshot, group: string): ResolvedTarget {
  // An environment the snapshot could not read may be a member.
  requireEveryEnvironment(snapshot);
  const members: string[] = [];
  for (const environment of snapshot.environments.values()) {
    if (mustRead(environment.config).environmentGroup === group) members.push(environment.name);
  }
  if (members.length === 0) return { kind: 'notFound' };
  return { kind: 'resolved', resolvedType: 'environmentGroup', environments: members.sort(compareNames) };
}

function someValidConfigNamesGroup(snapshot: Snapshot, group: string): boolean {
  const isMember = (environment: Environment) =>
    environment.config.ok && environment.config.value.environmentGroup === group;
  return [...snapshot.environments.values()].some(isMember);
}
