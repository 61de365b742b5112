// What a caller may write: the RBAC policy (when RBAC_POLICY_FILE is set) and the teams
// (TEAMS_FILE) applied to the environments of a snapshot. Without a policy, everything is allowed.
import { AppError } from '../domain/errors.js';
import type { Snapshot } from '../planning/model.js';
import { mustRead } from '../planning/readable.js';
import type { Caller } from './caller.js';
import { type Action, isAllowed, type PermissionTarget, type Policy } from './policy.js';
import { type TeamDirectory, teamsOf } from './teams.js';

export class Permissions {
  constructor(
    private readonly policy?: Policy,
    private readonly teams?: TeamDirectory,
  ) {}

  /** Whether any write may be refused (RBAC_POLICY_FILE is set). */
  get restricts(): boolean {
    return this.policy !== undefined;
  }

  /** Throws 403 naming the first target the caller may not act on; nothing is written then. */
  require(caller: Caller, action: Action, targets: readonly PermissionTarget[]): void {
    if (!this.policy) return;
    for (const target of targets) {
      if (isAllowed(this.policy, caller, action, target)) continue;
      const app = target.application === '*' ? '' : ` for application '${target.application}'`;
      throw new AppError(
        'FORBIDDEN',
        `${caller.email} may not ${action} in environment '${target.environment}' (group '${target.environmentGroup}')${app}.`,
        {
          details: {
            action,
            environment: target.environment,
            environmentGroup: target.environmentGroup,
            application: target.application,
          },
        },
      );
    }
  }

  /**
   * The groups of these that any decision here looks at (a `g` line of the policy, a member of a
   * team): what a web UI session keeps of an identity's groups, which may be hundreds.
   */
  groupsThatMatter(groups: readonly string[]): string[] {
    return groups.filter(
      (group) =>
        this.policy?.rolesBySubject.has(group) ||
        [...(this.teams?.values() ?? [])].some((members) => members.has(group)),
    );
  }

  /** The teams the caller is in, when TEAMS_FILE restricts trains; undefined when it does not. */
  teamsOf(caller: Caller): ReadonlySet<string> | undefined {
    return this.teams ? teamsOf(this.teams, caller) : undefined;
  }
}

/**
 * The permission target of an environment as the snapshot has it: its group, or its own name
 * when it has none (or does not exist yet).
 */
export function targetIn(snapshot: Snapshot, environment: string, application = '*'): PermissionTarget {
  const config = snapshot.environments.get(environment)?.config;
  // A corrupt config fails the write (500) rather than being judged under the wrong group.
  const group = config ? mustRead(config).environmentGroup : undefined;
  return { environment, environmentGroup: group ?? environment, application };
}
