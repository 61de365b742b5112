// RBAC in Kuberpult's policy format (RBAC_POLICY_FILE), one rule a line:
//   p, role:<role>, <action>, <environment group>:<environment>, <application>, allow
//   g, <group of the identity>, role:<role>
// `*` in a field matches anything. Pure: text in, decisions out.
import type { Caller } from './caller.js';

export const ACTIONS = [
  'CreateLock',
  'DeleteLock',
  'CreateRelease',
  'DeployRelease',
  'CreateEnvironment',
  'DeleteEnvironment',
  'DeployReleaseTrain',
  'CreateUndeploy',
  'DeployUndeploy',
  'DeleteEnvironmentApplication',
] as const;
export type Action = (typeof ACTIONS)[number];

/** Kuberpult names a policy may hold that this service has no write for: accepted, never needed. */
const KUBERPULT_ONLY_ACTIONS = ['DeleteEnvFromApp'];

interface Rule {
  readonly role: string;
  readonly action: string;
  readonly environmentGroup: string;
  readonly environment: string;
  readonly application: string;
}

export class PolicyError extends Error {}

export interface Policy {
  readonly rules: readonly Rule[];
  /** Role names by the subject (group or email) the `g` lines give them to. */
  readonly rolesBySubject: ReadonlyMap<string, readonly string[]>;
}

/** Where an action applies: an environment (its group: its own name when it has none) and an app. */
export interface PermissionTarget {
  readonly environment: string;
  readonly environmentGroup: string;
  /** `*` for actions on a whole environment (an environment lock, a train). */
  readonly application: string;
}

export function parsePolicy(text: string, fileName: string): Policy {
  const rules: Rule[] = [];
  const rolesBySubject = new Map<string, string[]>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fail = (reason: string): never => {
      throw new PolicyError(`${fileName} line ${index + 1}: ${reason}: ${line.slice(0, 200)}`);
    };
    const fields = line.split(',').map((field) => field.trim());
    if (fields.some((field) => field === '')) fail('empty field');
    const roleOf = (field: string) => {
      if (!/^role:[^\s:]+$/.test(field)) fail(`expected role:<name>, found "${field}"`);
      return field.slice('role:'.length);
    };
    if (fields[0] === 'p') {
      if (fields.length !== 6)
        fail('a p line has 6 fields: p, role:<role>, <action>, <group>:<env>, <app>, allow');
      const [, role, action, scope, application, effect] = fields as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      if (effect !== 'allow') fail(`only "allow" rules exist, found "${effect}"`);
      if (
        action !== '*' &&
        !(ACTIONS as readonly string[]).includes(action) &&
        !KUBERPULT_ONLY_ACTIONS.includes(action)
      ) {
        fail(`unknown action "${action}" (known: ${ACTIONS.join(', ')})`);
      }
      const parts = scope.split(':');
      if (parts.length !== 2 || !parts[0] || !parts[1])
        fail(`expected <environment group>:<environment>, found "${scope}"`);
      rules.push({
        role: roleOf(role),
        action,
        environmentGroup: parts[0] as string,
        environment: parts[1] as string,
        application,
      });
    } else if (fields[0] === 'g') {
      if (fields.length !== 3) fail('a g line has 3 fields: g, <group>, role:<role>');
      const subject = fields[1] as string;
      const role = roleOf(fields[2] as string);
      rolesBySubject.set(subject, [...(rolesBySubject.get(subject) ?? []), role]);
    } else {
      fail('a rule starts with p or g');
    }
  });
  return { rules, rolesBySubject };
}

const matches = (pattern: string, value: string) => pattern === '*' || pattern === value;

/** Whether the caller may do this action at this target. */
export function isAllowed(policy: Policy, caller: Caller, action: Action, target: PermissionTarget): boolean {
  const roles = new Set<string>();
  // `g, *, role:x` gives the role to every identified caller.
  for (const subject of [...caller.groups, caller.email, '*']) {
    for (const role of policy.rolesBySubject.get(subject) ?? []) roles.add(role);
  }
  return policy.rules.some(
    (rule) =>
      roles.has(rule.role) &&
      matches(rule.action, action) &&
      matches(rule.environmentGroup, target.environmentGroup) &&
      matches(rule.environment, target.environment) &&
      matches(rule.application, target.application),
  );
}
