// RBAC_POLICY_FILE in Kuberpult's format (security.md "What a caller may do"): parsing, the
// line-numbered errors of a malformed file, and who may do what.
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/auth/caller.js';
import { Permissions, targetIn } from '../../src/auth/permissions.js';
import {
  type Action,
  isAllowed,
  type PermissionTarget,
  PolicyError,
  parsePolicy,
} from '../../src/auth/policy.js';
import { parseTeamsFile, TeamsFileError, teamsOf } from '../../src/auth/teams.js';
import { AppError } from '../../src/domain/errors.js';
import { ERROR_STATUS } from '../../src/http/errorStatus.js';
import { buildSnapshot, from, LATEST } from '../planning/snapshotBuilder.js';

const caller = (email: string, groups: readonly string[] = []): Caller => ({
  name: email.split('@')[0] ?? email,
  email,
  groups,
  via: 'token',
});

const target = (environmentGroup: string, environment: string, application = '*'): PermissionTarget => ({
  environment,
  environmentGroup,
  application,
});

const ALL_ACTIONS: readonly Action[] = [
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
];

describe('parsePolicy', () => {
  it("reads Kuberpult's lines with any spacing, comments, blank lines, CRLF and wildcards", () => {
    const text = [
      '# Who may do what',
      '',
      'p, role:developer, CreateLock, development:development, *, allow',
      '   p,role:developer,DeleteLock,*:staging,checkout,allow   ',
      'p ,\trole:ops , * , prod:* , * , allow',
      '  # an indented comment',
      '\t',
      'g, Developer, role:developer',
      'g,ops@example.com,role:ops',
      'g, Developer, role:ops\r',
      '',
    ].join('\r\n');
    const policy = parsePolicy(text, 'policy.csv');
    expect(policy.rules).toEqual([
      {
        role: 'developer',
        action: 'CreateLock',
        environmentGroup: 'development',
        environment: 'development',
        application: '*',
      },
      {
        role: 'developer',
        action: 'DeleteLock',
        environmentGroup: '*',
        environment: 'staging',
        application: 'checkout',
      },
      { role: 'ops', action: '*', environmentGroup: 'prod', environment: '*', application: '*' },
    ]);
    expect(Object.fromEntries(policy.rolesBySubject)).toEqual({
      // Roles of one subject add up over its lines.
      Developer: ['developer', 'ops'],
      'ops@example.com': ['ops'],
    });
  });

  it('reads an empty file, and a file of comments only, as a policy that allows nothing', () => {
    for (const text of ['', '\n\n', '# nothing yet\n# really\n']) {
      const policy = parsePolicy(text, 'policy.csv');
      expect(policy.rules).toEqual([]);
      expect(policy.rolesBySubject.size).toBe(0);
      expect(isAllowed(policy, caller('a@example.com', ['x']), 'CreateLock', target('dev', 'dev'))).toBe(
        false,
      );
    }
  });

  it('reads a file with a UTF-8 byte order mark', () => {
    const policy = parsePolicy(
      '\uFEFFp, role:dev, CreateLock, dev:dev, *, allow\ng, devs, role:dev\n',
      'p.csv',
    );
    expect(policy.rules).toHaveLength(1);
    expect(isAllowed(policy, caller('a@example.com', ['devs']), 'CreateLock', target('dev', 'dev'))).toBe(
      true,
    );
  });

  it.each(['DeleteEnvFromApp'])(
    'accepts the Kuberpult-only action %s, which allows none of the actions of this service',
    (action) => {
      const policy = parsePolicy(`p, role:dev, ${action}, *:*, *, allow\ng, devs, role:dev\n`, 'policy.csv');
      expect(policy.rules).toEqual([
        { role: 'dev', action, environmentGroup: '*', environment: '*', application: '*' },
      ]);
      const member = caller('a@example.com', ['devs']);
      for (const granted of ALL_ACTIONS) {
        expect(isAllowed(policy, member, granted, target('prod', 'prod-de', 'checkout')), granted).toBe(
          false,
        );
        expect(isAllowed(policy, member, granted, target('prod', 'prod-de')), granted).toBe(false);
      }
    },
  );

  it.each(ALL_ACTIONS)('accepts the action %s', (action) => {
    const policy = parsePolicy(`p, role:dev, ${action}, dev:dev, *, allow\n`, 'policy.csv');
    expect(policy.rules[0]?.action).toBe(action);
  });

  // Each bad line is line 5: two comments, a blank line and a good line come first.
  const PREFIX = '# policy\n# second comment\n\np, role:dev, CreateLock, dev:dev, *, allow\n';

  it.each([
    ['a p line with 5 fields', 'p, role:dev, CreateLock, dev:dev, *'],
    ['a p line with 7 fields', 'p, role:dev, CreateLock, dev:dev, *, allow, now'],
    ['a p line without the effect', 'p, role:dev, CreateLock, dev:dev, allow'],
    ['a g line with 2 fields', 'g, developers'],
    ['a g line with 4 fields', 'g, developers, role:dev, role:ops'],
    ['an unknown action', 'p, role:dev, DeployEverything, dev:dev, *, allow'],
    ['an action in the wrong case', 'p, role:dev, createlock, dev:dev, *, allow'],
    ['a p line without the role: prefix', 'p, developer, CreateLock, dev:dev, *, allow'],
    ['a g line without the role: prefix', 'g, developers, developer'],
    ['a role without a name', 'p, role:, CreateLock, dev:dev, *, allow'],
    ['a role name with a space', 'g, developers, role:dev ops'],
    ['a scope without ":"', 'p, role:dev, CreateLock, dev, *, allow'],
    ['a scope with two ":"', 'p, role:dev, CreateLock, prod:eu:prod-de, *, allow'],
    ['a scope without an environment', 'p, role:dev, CreateLock, dev:, *, allow'],
    ['a scope without a group', 'p, role:dev, CreateLock, :dev, *, allow'],
    ['the effect deny', 'p, role:dev, CreateLock, dev:dev, *, deny'],
    ['the effect Allow', 'p, role:dev, CreateLock, dev:dev, *, Allow'],
    ['a line starting with x', 'x, role:dev, CreateLock, dev:dev, *, allow'],
    ['a line starting with P', 'P, role:dev, CreateLock, dev:dev, *, allow'],
    ['an empty field', 'p, role:dev, , dev:dev, *, allow'],
    ['a trailing comma', 'g, developers, role:dev,'],
    ['a line of text', 'developers may create locks'],
  ])('refuses %s with a PolicyError naming the file and line 5', (_what, line) => {
    const text = `${PREFIX}${line}\ng, developers, role:dev\n`;
    let caught: unknown;
    try {
      parsePolicy(text, 'policy.csv');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    expect((caught as Error).message).toMatch(/^policy\.csv line 5: /);
  });

  it('counts lines of a CRLF file and names the file as given', () => {
    const text = 'g, devs, role:dev\r\n\r\np, role:dev, CreateLock, dev:dev, *, deny\r\n';
    expect(() => parsePolicy(text, '/etc/trainyard/rbac.csv')).toThrow(
      /^\/etc\/trainyard\/rbac\.csv line 3: .*deny/,
    );
  });

  it('reports the first malformed line when there are several', () => {
    const text = 'p, role:dev, CreateLock, dev:dev, *, allow\ng, devs\nx, y\n';
    expect(() => parsePolicy(text, 'policy.csv')).toThrow(/^policy\.csv line 2: /);
  });
});

describe('isAllowed', () => {
  const POLICY = parsePolicy(
    [
      'p, role:dev, CreateLock, staging:staging, *, allow',
      'p, role:dev, DeployRelease, prod:prod-de, checkout, allow',
      'p, role:ops, *, prod:*, *, allow',
      'p, role:release, CreateRelease, *:*, *, allow',
      'p, role:qa-locks, DeleteLock, *:qa, *, allow',
      'p, role:trains, DeployReleaseTrain, *:*, *, allow',
      'g, developers, role:dev',
      'g, ops@example.com, role:ops',
      'g, ci, role:release',
      'g, ci, role:qa-locks',
      'g, trainers, role:trains',
    ].join('\n'),
    'policy.csv',
  );

  const DEVELOPER = caller('dana@example.com', ['developers']);
  const OPS = caller('ops@example.com', []);
  const CI = caller('ci@example.com', ['ci']);
  const BOTH = caller('both@example.com', ['developers', 'ci']);
  const NOBODY = caller('nobody@example.com', ['guests']);
  // The email of someone with a role, but as a group of another identity: no role.
  const LOOKALIKE = caller('other@example.com', ['ops']);

  it.each([
    // role via a group
    ['developer: CreateLock in staging', DEVELOPER, 'CreateLock', target('staging', 'staging'), true],
    [
      'developer: an app lock in staging',
      DEVELOPER,
      'CreateLock',
      target('staging', 'staging', 'docs'),
      true,
    ],
    [
      'developer: DeleteLock in staging (other action)',
      DEVELOPER,
      'DeleteLock',
      target('staging', 'staging'),
      false,
    ],
    [
      'developer: CreateLock in dev (other environment)',
      DEVELOPER,
      'CreateLock',
      target('dev', 'dev'),
      false,
    ],
    [
      'developer: CreateLock in staging of group pre (other group)',
      DEVELOPER,
      'CreateLock',
      target('pre', 'staging'),
      false,
    ],
    // app-specific rule
    [
      'developer: deploy checkout to prod-de',
      DEVELOPER,
      'DeployRelease',
      target('prod', 'prod-de', 'checkout'),
      true,
    ],
    [
      'developer: deploy search to prod-de',
      DEVELOPER,
      'DeployRelease',
      target('prod', 'prod-de', 'search'),
      false,
    ],
    [
      'developer: an environment-wide DeployRelease in prod-de (app rule only)',
      DEVELOPER,
      'DeployRelease',
      target('prod', 'prod-de'),
      false,
    ],
    [
      'developer: deploy checkout to prod-fr',
      DEVELOPER,
      'DeployRelease',
      target('prod', 'prod-fr', 'checkout'),
      false,
    ],
    // role via the email; wildcard action and environment
    ['ops: a train to prod-de', OPS, 'DeployReleaseTrain', target('prod', 'prod-de'), true],
    ['ops: CreateEnvironment prod-new in prod', OPS, 'CreateEnvironment', target('prod', 'prod-new'), true],
    [
      'ops: DeleteLock of an app lock in prod-fr',
      OPS,
      'DeleteLock',
      target('prod', 'prod-fr', 'search'),
      true,
    ],
    ['ops: anything outside the group prod', OPS, 'CreateLock', target('staging', 'staging'), false],
    [
      'ops: an environment named prod without the group',
      OPS,
      'CreateLock',
      target('prod-de', 'prod-de'),
      false,
    ],
    ['a group named like the email of ops', LOOKALIKE, 'CreateLock', target('prod', 'prod-de'), false],
    // wildcard group, environment and application
    ['ci: CreateRelease of any app anywhere', CI, 'CreateRelease', target('any', 'where', 'search'), true],
    ['ci: DeleteLock in qa of any group', CI, 'DeleteLock', target('test', 'qa'), true],
    ['ci: DeleteLock in qa (its own group)', CI, 'DeleteLock', target('qa', 'qa', 'checkout'), true],
    ['ci: DeleteLock in qa2', CI, 'DeleteLock', target('qa2', 'qa2'), false],
    ['ci: DeployRelease (no rule)', CI, 'DeployRelease', target('dev', 'dev', 'checkout'), false],
    // several groups: the roles add up
    ['developers and ci: CreateLock in staging', BOTH, 'CreateLock', target('staging', 'staging'), true],
    [
      'developers and ci: CreateRelease in prod-de',
      BOTH,
      'CreateRelease',
      target('prod', 'prod-de', 'x'),
      true,
    ],
    // no role at all
    ['nobody: CreateLock in staging', NOBODY, 'CreateLock', target('staging', 'staging'), false],
    ['nobody: CreateRelease', NOBODY, 'CreateRelease', target('dev', 'dev', 'checkout'), false],
  ] as const)('%s -> %s', (_name, who, action, where, expected) => {
    expect(isAllowed(POLICY, who, action, where)).toBe(expected);
  });

  it('matches "*" as a whole field only, not as a pattern inside a name', () => {
    const policy = parsePolicy('p, role:r, CreateLock, prod:prod-*, *, allow\ng, g, role:r\n', 'policy.csv');
    const member = caller('m@example.com', ['g']);
    expect(isAllowed(policy, member, 'CreateLock', target('prod', 'prod-de'))).toBe(false);
    expect(isAllowed(policy, member, 'CreateLock', target('prod', 'prod-*'))).toBe(true);
  });

  it('a rule for application "*" allows app-specific actions too', () => {
    const policy = parsePolicy('p, role:r, DeployRelease, dev:dev, *, allow\ng, g, role:r\n', 'policy.csv');
    const member = caller('m@example.com', ['g']);
    expect(isAllowed(policy, member, 'DeployRelease', target('dev', 'dev', 'checkout'))).toBe(true);
    expect(isAllowed(policy, member, 'DeployRelease', target('dev', 'dev'))).toBe(true);
  });
});

describe('isAllowed with `g, *`', () => {
  it('gives the role to every identified caller, and only that role', () => {
    const policy = parsePolicy(
      'p, role:viewer, CreateLock, *:dev, *, allow\np, role:admin, *, *:*, *, allow\ng, *, role:viewer\ng, ops, role:admin\n',
      'policy.csv',
    );
    expect(isAllowed(policy, caller('anyone@example.com'), 'CreateLock', target('dev', 'dev'))).toBe(true);
    expect(isAllowed(policy, caller('anyone@example.com'), 'CreateLock', target('prod', 'prod-de'))).toBe(
      false,
    );
    expect(
      isAllowed(policy, caller('op@example.com', ['ops']), 'DeployReleaseTrain', target('prod', 'prod-de')),
    ).toBe(true);
  });
});

describe('targetIn: the permission target of an environment in a snapshot', () => {
  const SNAPSHOT = buildSnapshot({
    environments: {
      dev: { upstream: LATEST },
      staging: { upstream: from('dev') },
      'prod-de': { upstream: from('staging'), group: 'prod' },
    },
  });
  const POLICY = parsePolicy(
    [
      'p, role:r, CreateLock, staging:staging, *, allow',
      'p, role:r, CreateLock, prod:prod-de, *, allow',
      'p, role:r, CreateLock, dev:*, *, allow',
      'p, role:r, CreateLock, new-env:new-env, *, allow',
      'g, g, role:r',
    ].join('\n'),
    'policy.csv',
  );
  const member = caller('m@example.com', ['g']);

  it('gives an environment without a group its own name as group', () => {
    expect(targetIn(SNAPSHOT, 'staging')).toEqual(target('staging', 'staging'));
    expect(targetIn(SNAPSHOT, 'dev', 'checkout')).toEqual(target('dev', 'dev', 'checkout'));
    expect(isAllowed(POLICY, member, 'CreateLock', targetIn(SNAPSHOT, 'staging'))).toBe(true);
    expect(isAllowed(POLICY, member, 'CreateLock', targetIn(SNAPSHOT, 'dev', 'docs'))).toBe(true);
  });

  it('gives an environment of a group that group, not its own name', () => {
    expect(targetIn(SNAPSHOT, 'prod-de')).toEqual(target('prod', 'prod-de'));
    expect(isAllowed(POLICY, member, 'CreateLock', targetIn(SNAPSHOT, 'prod-de'))).toBe(true);
    const ownGroup = parsePolicy('p, role:r, CreateLock, prod-de:prod-de, *, allow\ng, g, role:r\n', 'p.csv');
    expect(isAllowed(ownGroup, member, 'CreateLock', targetIn(SNAPSHOT, 'prod-de'))).toBe(false);
  });

  it('gives an environment that does not exist yet its own name as group', () => {
    expect(targetIn(SNAPSHOT, 'new-env')).toEqual(target('new-env', 'new-env'));
    expect(isAllowed(POLICY, member, 'CreateLock', targetIn(SNAPSHOT, 'new-env'))).toBe(true);
  });
});

describe('Permissions', () => {
  const POLICY = parsePolicy(
    'p, role:r, DeployReleaseTrain, prod:prod-de, *, allow\np, role:r, CreateLock, *:*, checkout, allow\ng, g, role:r\n',
    'policy.csv',
  );
  const member = caller('m@example.com', ['g']);

  it('allows everything without a policy', () => {
    const open = new Permissions();
    for (const action of ALL_ACTIONS) {
      expect(() => open.require(caller('x@example.com'), action, [target('prod', 'prod-de')])).not.toThrow();
    }
  });

  it('throws 403 FORBIDDEN naming the first refused target, in the order given', () => {
    const permissions = new Permissions(POLICY);
    let caught: unknown;
    try {
      permissions.require(member, 'DeployReleaseTrain', [
        target('prod', 'prod-de'),
        target('prod', 'prod-fr'),
        target('prod', 'prod-jp'),
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    const error = caught as AppError;
    expect(ERROR_STATUS[error.code]).toBe(403);
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain("'prod-fr'");
    expect(error.message).not.toContain('prod-jp');
    expect(error.details).toEqual({
      action: 'DeployReleaseTrain',
      environment: 'prod-fr',
      environmentGroup: 'prod',
      application: '*',
    });
  });

  it('names the application of an app-specific refusal', () => {
    const permissions = new Permissions(POLICY);
    expect(() => permissions.require(member, 'CreateLock', [target('dev', 'dev', 'checkout')])).not.toThrow();
    expect(() => permissions.require(member, 'CreateLock', [target('dev', 'dev', 'search')])).toThrow(
      /'dev'.*'search'/,
    );
    expect(() => permissions.require(member, 'CreateLock', [target('dev', 'dev')])).toThrow(/'dev'/);
  });

  it('allows an empty list of targets', () => {
    expect(() => new Permissions(POLICY).require(member, 'CreateLock', [])).not.toThrow();
  });

  it('restricts teams only with a teams file', () => {
    expect(new Permissions(POLICY).teamsOf(member)).toBeUndefined();
    const teams = parseTeamsFile('team-a:\n  - m@example.com\nteam-b:\n  - other\n', 'teams.yaml');
    expect([...(new Permissions(undefined, teams).teamsOf(member) ?? [])]).toEqual(['team-a']);
  });
});

describe('parseTeamsFile and teamsOf', () => {
  const TEAMS = parseTeamsFile(
    [
      '# who is in which team',
      'team-a:',
      '  - alice@example.com',
      'team-b: [group-b, bo@example.com]',
      'team-c: []',
    ].join('\n'),
    'teams.yaml',
  );

  it('puts a caller in the teams that list their email or one of their groups', () => {
    expect([...teamsOf(TEAMS, caller('alice@example.com'))]).toEqual(['team-a']);
    expect([...teamsOf(TEAMS, caller('x@example.com', ['group-b']))]).toEqual(['team-b']);
    expect([...teamsOf(TEAMS, caller('alice@example.com', ['group-b']))].sort()).toEqual([
      'team-a',
      'team-b',
    ]);
    expect([...teamsOf(TEAMS, caller('bo@example.com'))]).toEqual(['team-b']);
    expect(teamsOf(TEAMS, caller('eve@example.com', ['guests'])).size).toBe(0);
  });

  // The parser means to read an empty file as no teams (`load(text) ?? {}`), but js-yaml 5 throws
  // "expected a document, but the input is empty" for an empty or comments-only text.
  it.each(['', '\n', '# no teams yet\n'])('reads the empty file %j as no teams', (text) => {
    expect(parseTeamsFile(text, 'teams.yaml').size).toBe(0);
  });

  it.each([
    [
      'a team that is not a list',
      'team-a:\n  - a@example.com\nteam-b: somebody\n',
      /^teams\.yaml line 3: .*team-b/,
    ],
    ['a team name that is not a valid name', 'team-a: []\nTeam_B: [x]\n', /^teams\.yaml line 2: .*Team_B/],
    ['a YAML syntax error', 'team-a:\n  - a\n - b\n', /^teams\.yaml line \d+: /],
    ['a list at the top', '- team-a\n', /^teams\.yaml: /],
  ])('refuses %s with a TeamsFileError naming the file and line', (_what, text, message) => {
    expect(() => parseTeamsFile(text, 'teams.yaml')).toThrow(TeamsFileError);
    expect(() => parseTeamsFile(text, 'teams.yaml')).toThrow(message);
  });
});
