import { describe, expect, it } from 'vitest';
import { CorruptRepoError } from '../../src/domain/errors.js';
import type { Snapshot } from '../../src/planning/model.js';
import {
  type AppOutcome,
  type AppPlan,
  deploymentsOf,
  type EnvironmentOutcome,
  planReleaseTrain,
  type ReleaseTrainPlan,
  type ReleaseTrainRequest,
} from '../../src/planning/releaseTrain.js';
import {
  type AppInEnvironmentSpec,
  type ApplicationSpec,
  appLocksDir,
  blobId,
  buildSnapshot,
  CORRUPT,
  configFile,
  deepFreeze,
  type EnvironmentSpec,
  environmentLocksDir,
  from,
  LATEST,
  lock,
  NOW,
  teamLocksDir,
  versionFile,
} from './snapshotBuilder.js';

type RequestInput = Omit<ReleaseTrainRequest, 'targetType' | 'now'> &
  Partial<Pick<ReleaseTrainRequest, 'targetType' | 'now'>>;

function planOf(snapshot: Snapshot, request: RequestInput): ReleaseTrainPlan {
  const outcome = planReleaseTrain(snapshot, { targetType: 'environment', now: NOW, ...request });
  if (outcome.kind !== 'planned') throw new Error(`expected a plan, got ${JSON.stringify(outcome)}`);
  return outcome.plan;
}

function envOutcome(plan: ReleaseTrainPlan, environment: string): EnvironmentOutcome {
  const found = plan.environments.find((e) => e.environment === environment);
  if (!found) throw new Error(`no environment ${environment} in the plan`);
  return found.outcome;
}

function appsOf(plan: ReleaseTrainPlan, environment: string): readonly AppPlan[] {
  const outcome = envOutcome(plan, environment);
  if (outcome.kind !== 'train') throw new Error(`${environment} was skipped: ${JSON.stringify(outcome)}`);
  return outcome.apps;
}

function appOutcome(plan: ReleaseTrainPlan, environment: string, app: string): AppOutcome {
  const found = appsOf(plan, environment).find((a) => a.app === app);
  if (!found) throw new Error(`no app ${app} in ${environment}`);
  return found.outcome;
}

function appNames(plan: ReleaseTrainPlan, environment: string): string[] {
  return appsOf(plan, environment).map((a) => a.app);
}

const deploy = (app: string, version: number, environment: string, previousVersion?: number): AppOutcome => ({
  kind: 'deploy',
  version,
  manifestBlobId: blobId(app, version, environment),
  previousVersion,
});

// ---------------------------------------------------------------------------------------------
// The environment table

/** Target `t` with the given spec, next to `dev` (latest, app `web` at 1) and app `web` (releases 1, 2). */
function envCase(t: EnvironmentSpec): ReleaseTrainPlan {
  return planOf(
    buildSnapshot({
      environments: {
        dev: { upstream: LATEST, apps: { web: { version: 2 } } },
        t: { apps: { web: { version: 1 } }, ...t },
      },
      applications: { web: { releases: { 1: ['dev', 't'], 2: ['dev', 't'] } } },
    }),
    { target: 't' },
  );
}

describe('environment table', () => {
  it('row 1: upstream absent -> ENV_HAS_NO_UPSTREAM', () => {
    expect(envOutcome(envCase({}), 't')).toEqual({ kind: 'skipped', cause: 'ENV_HAS_NO_UPSTREAM' });
  });

  it('row 1: upstream null -> ENV_HAS_NO_UPSTREAM', () => {
    expect(envOutcome(envCase({ upstream: null }), 't')).toEqual({
      kind: 'skipped',
      cause: 'ENV_HAS_NO_UPSTREAM',
    });
  });

  it('row 2: upstream {} -> ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV', () => {
    expect(envOutcome(envCase({ upstream: {} }), 't')).toEqual({
      kind: 'skipped',
      cause: 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV',
    });
  });

  it('row 2: upstream {latest: false, environment: ""} -> ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV', () => {
    expect(envOutcome(envCase({ upstream: { latest: false, environment: '' } }), 't')).toEqual({
      kind: 'skipped',
      cause: 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV',
    });
  });

  it('row 3: upstream {latest: true, environment: "dev"} -> ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV', () => {
    expect(envOutcome(envCase({ upstream: { latest: true, environment: 'dev' } }), 't')).toEqual({
      kind: 'skipped',
      cause: 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV',
    });
  });

  it('row 4: upstream.environment names no environment -> UPSTREAM_ENV_CONFIG_NOT_FOUND naming it', () => {
    expect(envOutcome(envCase({ upstream: from('nowhere') }), 't')).toEqual({
      kind: 'skipped',
      cause: 'UPSTREAM_ENV_CONFIG_NOT_FOUND',
      upstream: 'nowhere',
    });
  });

  it('row 5: an environment lock -> ENV_IS_LOCKED reporting all locks in lockId order', () => {
    expect(
      envOutcome(envCase({ upstream: from('dev'), locks: ['zeta', 'Alpha', 'alpha', 'm-1'] }), 't'),
    ).toEqual({
      kind: 'skipped',
      cause: 'ENV_IS_LOCKED',
      locks: [lock('Alpha'), lock('alpha'), lock('m-1'), lock('zeta')],
    });
  });

  it('row 6: otherwise the apps are decided (train from the upstream environment)', () => {
    expect(envOutcome(envCase({ upstream: from('dev') }), 't')).toEqual({
      kind: 'train',
      source: { kind: 'environment', name: 'dev' },
      apps: [{ app: 'web', outcome: deploy('web', 2, 't', 1) }],
    });
  });

  it('row 6: otherwise the apps are decided (train from latest)', () => {
    expect(envOutcome(envCase({ upstream: LATEST }), 't')).toEqual({
      kind: 'train',
      source: { kind: 'latest' },
      apps: [{ app: 'web', outcome: deploy('web', 2, 't', 1) }],
    });
  });

  it('row 6: upstream {latest: true, environment: ""} is a latest train', () => {
    expect(envOutcome(envCase({ upstream: { latest: true, environment: '' } }), 't')).toMatchObject({
      kind: 'train',
      source: { kind: 'latest' },
    });
  });

  it('row 6: upstream {latest: false, environment: "dev"} is an environment train', () => {
    expect(envOutcome(envCase({ upstream: { latest: false, environment: 'dev' } }), 't')).toMatchObject({
      kind: 'train',
      source: { kind: 'environment', name: 'dev' },
    });
  });

  describe('precedence', () => {
    it('rows 1 and 5: no upstream and locked -> ENV_HAS_NO_UPSTREAM', () => {
      expect(envOutcome(envCase({ locks: ['freeze'] }), 't')).toEqual({
        kind: 'skipped',
        cause: 'ENV_HAS_NO_UPSTREAM',
      });
    });

    it('rows 2 and 5: neither latest nor environment, and locked -> ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV', () => {
      expect(envOutcome(envCase({ upstream: {}, locks: ['freeze'] }), 't')).toEqual({
        kind: 'skipped',
        cause: 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV',
      });
    });

    it('rows 3 and 4: both set, naming a missing environment -> ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV', () => {
      expect(envOutcome(envCase({ upstream: { latest: true, environment: 'nowhere' } }), 't')).toEqual({
        kind: 'skipped',
        cause: 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV',
      });
    });

    it('rows 3 and 5: both set and locked -> ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV', () => {
      expect(
        envOutcome(envCase({ upstream: { latest: true, environment: 'dev' }, locks: ['freeze'] }), 't'),
      ).toEqual({ kind: 'skipped', cause: 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV' });
    });

    it('rows 4 and 5: upstream not found and locked -> UPSTREAM_ENV_CONFIG_NOT_FOUND', () => {
      expect(envOutcome(envCase({ upstream: from('nowhere'), locks: ['freeze'] }), 't')).toEqual({
        kind: 'skipped',
        cause: 'UPSTREAM_ENV_CONFIG_NOT_FOUND',
        upstream: 'nowhere',
      });
    });

    it('rows 5 and 6: locked with an app to deploy -> ENV_IS_LOCKED, nothing deployed', () => {
      const plan = envCase({ upstream: LATEST, locks: ['freeze'] });
      expect(envOutcome(plan, 't')).toEqual({
        kind: 'skipped',
        cause: 'ENV_IS_LOCKED',
        locks: [lock('freeze')],
      });
      expect(deploymentsOf(plan)).toEqual([]);
    });
  });

  it('a skipped environment does not stop the other environments of the group', () => {
    const plan = planOf(
      buildSnapshot({
        environments: {
          a: { group: 'g', upstream: LATEST, locks: ['freeze'] },
          b: { group: 'g' },
          c: { group: 'g', upstream: from('nowhere') },
          d: { group: 'g', upstream: LATEST },
        },
        applications: { web: { releases: { 4: ['a', 'b', 'c', 'd'] } } },
      }),
      { target: 'g', targetType: 'environmentGroup' },
    );
    expect(plan.environments).toEqual([
      { environment: 'a', outcome: { kind: 'skipped', cause: 'ENV_IS_LOCKED', locks: [lock('freeze')] } },
      { environment: 'b', outcome: { kind: 'skipped', cause: 'ENV_HAS_NO_UPSTREAM' } },
      {
        environment: 'c',
        outcome: { kind: 'skipped', cause: 'UPSTREAM_ENV_CONFIG_NOT_FOUND', upstream: 'nowhere' },
      },
      {
        environment: 'd',
        outcome: {
          kind: 'train',
          source: { kind: 'latest' },
          apps: [{ app: 'web', outcome: deploy('web', 4, 'd') }],
        },
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The app table

interface AppCase {
  /** The app in the upstream environment `up`; absent: the app is not there at all. */
  up?: AppInEnvironmentSpec;
  /** The app in the target environment `t`. */
  t?: AppInEnvironmentSpec;
  app?: ApplicationSpec;
  teamLocks?: EnvironmentSpec['teamLocks'];
}

/** App `web` (team `payments` unless given), trained from environment `up` to `t`. */
function appCase({ up, t, app, teamLocks }: AppCase): AppOutcome {
  const plan = planOf(
    buildSnapshot({
      environments: {
        up: { upstream: LATEST, apps: up ? { web: up } : {} },
        t: { upstream: from('up'), apps: t ? { web: t } : {}, ...(teamLocks ? { teamLocks } : {}) },
      },
      applications: {
        web: app ?? { team: 'payments', releases: { 1: ['up', 't'], 2: ['up', 't'], 3: ['up', 't'] } },
      },
    }),
    { target: 't' },
  );
  return appOutcome(plan, 't', 'web');
}

describe('app table', () => {
  it('row 1: no deployed version in the upstream environment (only a queued version) -> APP_HAS_NO_VERSION_IN_UPSTREAM_ENV', () => {
    expect(appCase({ up: { queued: 3 }, t: { version: 1 } })).toEqual({
      kind: 'skip',
      cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
    });
  });

  it('row 1: only an app lock in the upstream environment -> APP_HAS_NO_VERSION_IN_UPSTREAM_ENV', () => {
    expect(appCase({ up: { locks: ['hold'] }, t: { version: 1 } })).toEqual({
      kind: 'skip',
      cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
    });
  });

  it('row 2: the source version equals the deployed one -> APP_ALREADY_IN_UPSTREAM_VERSION with that version', () => {
    expect(appCase({ up: { version: 2 }, t: { version: 2 } })).toEqual({
      kind: 'skip',
      cause: 'APP_ALREADY_IN_UPSTREAM_VERSION',
      version: 2,
    });
  });

  it('row 3: an app lock in the target -> APP_IS_LOCKED reporting its locks in lockId order', () => {
    expect(appCase({ up: { version: 3 }, t: { version: 1, locks: ['zz', 'aa', 'B'] } })).toEqual({
      kind: 'skip',
      cause: 'APP_IS_LOCKED',
      locks: [lock('B'), lock('aa'), lock('zz')],
    });
  });

  it('row 4: the source release has no manifest for the target -> APP_DOES_NOT_EXIST_IN_ENV', () => {
    expect(
      appCase({
        up: { version: 3 },
        t: { version: 1 },
        app: { team: 'payments', releases: { 1: ['up', 't'], 3: ['up'] } },
      }),
    ).toEqual({ kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' });
  });

  it('row 5: a lock on the app team in the target -> TEAM_IS_LOCKED naming the team, locks in lockId order', () => {
    expect(
      appCase({
        up: { version: 3 },
        t: { version: 1 },
        teamLocks: { payments: ['q4', 'audit'], other: ['x1'] },
      }),
    ).toEqual({
      kind: 'skip',
      cause: 'TEAM_IS_LOCKED',
      team: 'payments',
      locks: [lock('audit'), lock('q4')],
    });
  });

  it('row 6: otherwise deploys the source version with its manifest blob and the previous version', () => {
    expect(appCase({ up: { version: 3 }, t: { version: 1 } })).toEqual(deploy('web', 3, 't', 1));
  });

  it('row 6: a lock of another team does not hold the app back', () => {
    expect(appCase({ up: { version: 3 }, t: { version: 1 }, teamLocks: { search: ['hold'] } })).toEqual(
      deploy('web', 3, 't', 1),
    );
  });

  it('row 6: a team with an empty lock map does not hold the app back', () => {
    expect(appCase({ up: { version: 3 }, t: { version: 1 }, teamLocks: { payments: [] } })).toEqual(
      deploy('web', 3, 't', 1),
    );
  });

  it('row 6: a queued version in the target does not change the decision', () => {
    expect(appCase({ up: { version: 3 }, t: { version: 1, queued: 2 } })).toEqual(deploy('web', 3, 't', 1));
  });

  describe('precedence', () => {
    it('rows 1 and 2: not deployed upstream nor in the target -> APP_HAS_NO_VERSION_IN_UPSTREAM_ENV (not already in version)', () => {
      expect(appCase({ up: { queued: 2 }, t: { queued: 2 } })).toEqual({
        kind: 'skip',
        cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
      });
    });

    it('rows 1 and 3: no version upstream and app-locked -> APP_HAS_NO_VERSION_IN_UPSTREAM_ENV', () => {
      expect(appCase({ up: { locks: ['hold'] }, t: { version: 1, locks: ['mine'] } })).toEqual({
        kind: 'skip',
        cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
      });
    });

    it('rows 2 and 3: already in version and app-locked -> APP_ALREADY_IN_UPSTREAM_VERSION', () => {
      expect(appCase({ up: { version: 2 }, t: { version: 2, locks: ['mine'] } })).toEqual({
        kind: 'skip',
        cause: 'APP_ALREADY_IN_UPSTREAM_VERSION',
        version: 2,
      });
    });

    it('rows 2 and 4: already in version and no manifest for the target -> APP_ALREADY_IN_UPSTREAM_VERSION', () => {
      // Possible after the release files were edited; the planner must not look at the manifest first.
      expect(
        appCase({
          up: { version: 2 },
          t: { version: 2 },
          app: { team: 'payments', releases: { 2: ['up'] } },
        }),
      ).toEqual({ kind: 'skip', cause: 'APP_ALREADY_IN_UPSTREAM_VERSION', version: 2 });
    });

    it('rows 3 and 4: app-locked and no manifest for the target -> APP_IS_LOCKED', () => {
      expect(
        appCase({
          up: { version: 3 },
          t: { version: 1, locks: ['mine'] },
          app: { team: 'payments', releases: { 1: ['up', 't'], 3: ['up'] } },
        }),
      ).toEqual({ kind: 'skip', cause: 'APP_IS_LOCKED', locks: [lock('mine')] });
    });

    it('rows 3 and 5: app-locked and team-locked -> APP_IS_LOCKED', () => {
      expect(
        appCase({
          up: { version: 3 },
          t: { version: 1, locks: ['mine'] },
          teamLocks: { payments: ['ours'] },
        }),
      ).toEqual({ kind: 'skip', cause: 'APP_IS_LOCKED', locks: [lock('mine')] });
    });

    it('rows 4 and 5: no manifest for the target and team-locked -> APP_DOES_NOT_EXIST_IN_ENV', () => {
      expect(
        appCase({
          up: { version: 3 },
          t: { version: 1 },
          app: { team: 'payments', releases: { 1: ['up', 't'], 3: ['up'] } },
          teamLocks: { payments: ['ours'] },
        }),
      ).toEqual({ kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' });
    });

    it('rows 5 and 6: deployable but team-locked -> TEAM_IS_LOCKED, nothing deployed', () => {
      expect(appCase({ up: { version: 3 }, teamLocks: { payments: ['ours'] } })).toEqual({
        kind: 'skip',
        cause: 'TEAM_IS_LOCKED',
        team: 'payments',
        locks: [lock('ours')],
      });
    });
  });

  it('a downgrade (source lower than deployed) is deployed', () => {
    expect(appCase({ up: { version: 1 }, t: { version: 3 } })).toEqual(deploy('web', 1, 't', 3));
  });

  it('an app not yet deployed in the target is deployed, with no previous version', () => {
    expect(appCase({ up: { version: 2 } })).toEqual(deploy('web', 2, 't', undefined));
  });

  it('an app with only a lock-free queued version in the target is deployed, with no previous version', () => {
    expect(appCase({ up: { version: 2 }, t: { queued: 3 } })).toEqual(deploy('web', 2, 't', undefined));
  });

  it('an app without a team (team "") is not held back even by locks filed under the team ""', () => {
    expect(
      appCase({
        up: { version: 2 },
        t: { version: 1 },
        app: { releases: { 1: ['up', 't'], 2: ['up', 't'] } },
        teamLocks: { '': ['odd'] },
      }),
    ).toEqual(deploy('web', 2, 't', 1));
  });

  it('an app without a team is not held back by any team lock', () => {
    expect(
      appCase({
        up: { version: 2 },
        t: { version: 1 },
        app: { releases: { 1: ['up', 't'], 2: ['up', 't'] } },
        teamLocks: { payments: ['ours'], search: ['theirs'] },
      }),
    ).toEqual(deploy('web', 2, 't', 1));
  });
});

// ---------------------------------------------------------------------------------------------
// Candidates: latest vs environment upstream

describe('candidate apps with upstream.latest', () => {
  const snapshot = buildSnapshot({
    environments: {
      t: {
        upstream: LATEST,
        apps: {
          // Only in the target env (a lock), with no directory under applications/: not an app of the repo.
          ghost: { locks: ['old'] },
          web: { version: 1 },
        },
      },
    },
    applications: {
      web: { team: 'payments', releases: { 1: ['t'], 10: ['t'], 9: ['t'], 2: ['t'] } },
      api: { team: 'search', releases: { 5: ['t'] } },
      // The newest release has no manifest for t; an older one has: no fallback.
      batch: { releases: { 1: ['t'], 2: ['other'] } },
      empty: { team: 'payments' },
    },
  });
  const plan = planOf(snapshot, { target: 't' });

  it('takes every application of the repo, in ascending byte order, and nothing else', () => {
    expect(appNames(plan, 't')).toEqual(['api', 'batch', 'empty', 'web']);
  });

  it('deploys the numerically largest release', () => {
    expect(appOutcome(plan, 't', 'web')).toEqual(deploy('web', 10, 't', 1));
  });

  it('deploys an app that is not yet in the target', () => {
    expect(appOutcome(plan, 't', 'api')).toEqual(deploy('api', 5, 't', undefined));
  });

  it('does not fall back to an older release when the newest has no manifest for the target', () => {
    expect(appOutcome(plan, 't', 'batch')).toEqual({ kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' });
  });

  it('skips an app whose latest release is already deployed with APP_ALREADY_IN_UPSTREAM_VERSION', () => {
    const current = buildSnapshot({
      environments: { t: { upstream: LATEST, apps: { web: { version: 10, locks: ['mine'] } } } },
      applications: { web: { releases: { 9: ['t'], 10: ['t'] } } },
    });
    expect(appOutcome(planOf(current, { target: 't' }), 't', 'web')).toEqual({
      kind: 'skip',
      cause: 'APP_ALREADY_IN_UPSTREAM_VERSION',
      version: 10,
    });
  });

  it('skips an app without releases with APP_DOES_NOT_EXIST_IN_ENV', () => {
    expect(appOutcome(plan, 't', 'empty')).toEqual({ kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' });
  });

  it('skips an app without releases with APP_DOES_NOT_EXIST_IN_ENV even when its team is locked (row 4 before row 5)', () => {
    const locked = buildSnapshot({
      environments: { t: { upstream: LATEST, teamLocks: { payments: ['ours'] } } },
      applications: { empty: { team: 'payments' } },
    });
    expect(appOutcome(planOf(locked, { target: 't' }), 't', 'empty')).toEqual({
      kind: 'skip',
      cause: 'APP_DOES_NOT_EXIST_IN_ENV',
    });
  });

  // Spec, app table: "first match wins"; row 3 (application lock) comes before row 4 "(or, with
  // `latest`, the app has no release)". releaseTrain.ts planApp returns APP_DOES_NOT_EXIST_IN_ENV
  // for a latest app without releases before it looks at the app locks.
  it('skips an app without releases that is app-locked in the target with APP_IS_LOCKED (row 3 before row 4)', () => {
    const locked = buildSnapshot({
      environments: { t: { upstream: LATEST, apps: { empty: { locks: ['mine'] } } } },
      applications: { empty: { team: 'payments' } },
    });
    expect(appOutcome(planOf(locked, { target: 't' }), 't', 'empty')).toEqual({
      kind: 'skip',
      cause: 'APP_IS_LOCKED',
      locks: [lock('mine')],
    });
  });

  it('reports deploys in the plan for the apps that have something to deploy, and only those', () => {
    expect(deploymentsOf(plan)).toEqual([
      { environment: 't', app: 'api', version: 5, manifestBlobId: blobId('api', 5, 't') },
      { environment: 't', app: 'web', version: 10, manifestBlobId: blobId('web', 10, 't') },
    ]);
  });
});

describe('candidate apps with upstream.environment', () => {
  const snapshot = buildSnapshot({
    environments: {
      up: {
        upstream: LATEST,
        apps: {
          web: { version: 2 },
          onlylock: { locks: ['hold'] },
          onlyqueued: { queued: 1 },
        },
      },
      t: {
        upstream: from('up'),
        apps: { web: { version: 1 }, targetonly: { version: 1 } },
      },
    },
    applications: {
      web: { releases: { 1: ['up', 't'], 2: ['up', 't'] } },
      onlylock: { releases: { 1: ['up', 't'] } },
      onlyqueued: { releases: { 1: ['up', 't'] } },
      targetonly: { releases: { 1: ['up', 't'] } },
      // In the repo, but not in the upstream environment.
      elsewhere: { releases: { 7: ['up', 't'] } },
    },
  });
  const plan = planOf(snapshot, { target: 't' });

  it('takes exactly the apps of the upstream environment, in ascending byte order', () => {
    expect(appNames(plan, 't')).toEqual(['onlylock', 'onlyqueued', 'web']);
  });

  it('names the upstream environment as the source', () => {
    expect(envOutcome(plan, 't')).toMatchObject({
      kind: 'train',
      source: { kind: 'environment', name: 'up' },
    });
  });

  it('lists an app that only has a lock upstream as APP_HAS_NO_VERSION_IN_UPSTREAM_ENV', () => {
    expect(appOutcome(plan, 't', 'onlylock')).toEqual({
      kind: 'skip',
      cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
    });
  });

  it('lists an app that only has a queued version upstream as APP_HAS_NO_VERSION_IN_UPSTREAM_ENV', () => {
    expect(appOutcome(plan, 't', 'onlyqueued')).toEqual({
      kind: 'skip',
      cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
    });
  });

  it('deploys the upstream deployed version, not the latest release', () => {
    expect(appOutcome(plan, 't', 'web')).toEqual(deploy('web', 2, 't', 1));
  });

  it('trains from an upstream environment with no apps to an empty train', () => {
    const empty = buildSnapshot({
      environments: { up: {}, t: { upstream: from('up'), apps: { web: { version: 1 } } } },
      applications: { web: { releases: { 1: ['t'] } } },
    });
    expect(envOutcome(planOf(empty, { target: 't' }), 't')).toEqual({
      kind: 'train',
      source: { kind: 'environment', name: 'up' },
      apps: [],
    });
  });

  it('an upstream environment whose own config is corrupt still exists: its deployed versions are used', () => {
    const corruptUpstream = buildSnapshot({
      environments: {
        up: { config: CORRUPT, apps: { web: { version: 2 } } },
        t: { upstream: from('up') },
      },
      applications: { web: { releases: { 2: ['t'] } } },
    });
    expect(deploymentsOf(planOf(corruptUpstream, { target: 't' }))).toEqual([
      { environment: 't', app: 'web', version: 2, manifestBlobId: blobId('web', 2, 't') },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Team filter

describe('team filter', () => {
  const snapshot = buildSnapshot({
    environments: {
      t: { upstream: LATEST, teamLocks: { search: ['theirs'] } },
      u: { upstream: LATEST, teamLocks: { payments: ['ours'] } },
    },
    applications: {
      web: { team: 'payments', releases: { 2: ['t', 'u'] } },
      checkout: { team: 'payments', releases: { 4: ['t', 'u'] } },
      api: { team: 'search', releases: { 3: ['t', 'u'] } },
      noteam: { releases: { 1: ['t', 'u'] } },
    },
  });

  it('without a team, every app is a candidate and an app without a team is deployed despite team locks', () => {
    const plan = planOf(snapshot, { target: 't' });
    expect(appNames(plan, 't')).toEqual(['api', 'checkout', 'noteam', 'web']);
    expect(appOutcome(plan, 't', 'noteam')).toEqual(deploy('noteam', 1, 't'));
    expect(appOutcome(plan, 't', 'api')).toMatchObject({
      kind: 'skip',
      cause: 'TEAM_IS_LOCKED',
      team: 'search',
    });
    expect(plan.team).toBeUndefined();
  });

  it("leaves other teams' apps and apps without a team out entirely (not deployed, not listed)", () => {
    const plan = planOf(snapshot, { target: 't', team: 'payments' });
    expect(plan.team).toBe('payments');
    expect(appsOf(plan, 't')).toEqual([
      { app: 'checkout', outcome: deploy('checkout', 4, 't') },
      { app: 'web', outcome: deploy('web', 2, 't') },
    ]);
  });

  it("still reports a lock on the requested team's apps", () => {
    const plan = planOf(snapshot, { target: 'u', team: 'payments' });
    expect(appsOf(plan, 'u')).toEqual([
      {
        app: 'checkout',
        outcome: { kind: 'skip', cause: 'TEAM_IS_LOCKED', team: 'payments', locks: [lock('ours')] },
      },
      {
        app: 'web',
        outcome: { kind: 'skip', cause: 'TEAM_IS_LOCKED', team: 'payments', locks: [lock('ours')] },
      },
    ]);
  });

  it('a team that owns no app gives an empty train', () => {
    expect(envOutcome(planOf(snapshot, { target: 't', team: 'nobody' }), 't')).toEqual({
      kind: 'train',
      source: { kind: 'latest' },
      apps: [],
    });
  });

  it('leaves out an app known only from the upstream environment (no team file, team "") when a team is given', () => {
    const onlyUpstream = buildSnapshot({
      environments: {
        up: { apps: { stray: { locks: ['hold'] }, web: { version: 2 } } },
        t: { upstream: from('up') },
      },
      applications: { web: { team: 'payments', releases: { 2: ['t'] } } },
    });
    expect(appNames(planOf(onlyUpstream, { target: 't' }), 't')).toEqual(['stray', 'web']);
    expect(appNames(planOf(onlyUpstream, { target: 't', team: 'payments' }), 't')).toEqual(['web']);
  });

  it('filters every environment of a group', () => {
    const plan = planOf(
      buildSnapshot({
        environments: {
          a: { group: 'g', upstream: LATEST },
          b: { group: 'g', upstream: LATEST },
        },
        applications: {
          web: { team: 'payments', releases: { 2: ['a', 'b'] } },
          api: { team: 'search', releases: { 3: ['a', 'b'] } },
        },
      }),
      { target: 'g', targetType: 'environmentGroup', team: 'search' },
    );
    expect(appNames(plan, 'a')).toEqual(['api']);
    expect(appNames(plan, 'b')).toEqual(['api']);
  });
});

// ---------------------------------------------------------------------------------------------
// Group trains

describe('group trains', () => {
  // a <- latest, b <- a, c <- b: all three in group g.
  const snapshot = buildSnapshot({
    environments: {
      c: { group: 'g', upstream: from('b'), apps: { web: { version: 1 }, api: { version: 5 } } },
      a: { group: 'g', upstream: LATEST, apps: { web: { version: 2 }, api: { version: 6 } } },
      b: { group: 'g', upstream: from('a'), apps: { web: { version: 1 }, api: { version: 6 } } },
    },
    applications: {
      web: { releases: { 1: ['a', 'b', 'c'], 2: ['a', 'b', 'c'], 3: ['a', 'b', 'c'] } },
      api: { releases: { 5: ['a', 'b', 'c'], 6: ['a', 'b', 'c'], 7: ['a', 'b', 'c'] } },
      // Not yet in a: b must not see it even though the train deploys it to a.
      fresh: { releases: { 1: ['a', 'b', 'c'] } },
    },
  });
  const plan = planOf(snapshot, { target: 'g', targetType: 'environmentGroup' });

  it('processes the members in ascending byte order', () => {
    expect(plan.environments.map((e) => e.environment)).toEqual(['a', 'b', 'c']);
    expect(plan.resolvedType).toBe('environmentGroup');
  });

  it('does not cascade: a member takes the versions of the snapshot, not what the plan deploys upstream', () => {
    expect(appsOf(plan, 'a')).toEqual([
      { app: 'api', outcome: deploy('api', 7, 'a', 6) },
      { app: 'fresh', outcome: deploy('fresh', 1, 'a') },
      { app: 'web', outcome: deploy('web', 3, 'a', 2) },
    ]);
    // b gets a's versions as of the snapshot (web 2, api 6), not 3 and 7.
    expect(appsOf(plan, 'b')).toEqual([
      { app: 'api', outcome: { kind: 'skip', cause: 'APP_ALREADY_IN_UPSTREAM_VERSION', version: 6 } },
      { app: 'web', outcome: deploy('web', 2, 'b', 1) },
    ]);
    // c gets b's versions as of the snapshot (web 1, api 6).
    expect(appsOf(plan, 'c')).toEqual([
      { app: 'api', outcome: deploy('api', 6, 'c', 5) },
      { app: 'web', outcome: { kind: 'skip', cause: 'APP_ALREADY_IN_UPSTREAM_VERSION', version: 1 } },
    ]);
  });

  it('deploymentsOf lists exactly the deploy outcomes, in plan order, with their manifest blob ids', () => {
    expect(deploymentsOf(plan)).toEqual([
      { environment: 'a', app: 'api', version: 7, manifestBlobId: blobId('api', 7, 'a') },
      { environment: 'a', app: 'fresh', version: 1, manifestBlobId: blobId('fresh', 1, 'a') },
      { environment: 'a', app: 'web', version: 3, manifestBlobId: blobId('web', 3, 'a') },
      { environment: 'b', app: 'web', version: 2, manifestBlobId: blobId('web', 2, 'b') },
      { environment: 'c', app: 'api', version: 6, manifestBlobId: blobId('api', 6, 'c') },
    ]);
  });

  it('deploymentsOf is empty for a plan that deploys nothing (skipped environments and skipped apps)', () => {
    const nothing = planOf(
      buildSnapshot({
        environments: {
          a: { group: 'g', upstream: LATEST, apps: { web: { version: 1 } } },
          b: { group: 'g', upstream: LATEST, locks: ['freeze'] },
          c: { group: 'g' },
        },
        applications: { web: { releases: { 1: ['a', 'b', 'c'] } } },
      }),
      { target: 'g', targetType: 'environmentGroup' },
    );
    expect(appOutcome(nothing, 'a', 'web')).toMatchObject({ kind: 'skip' });
    expect(deploymentsOf(nothing)).toEqual([]);
  });

  it('an environment-type request for a group member plans only that member', () => {
    const single = planOf(snapshot, { target: 'b' });
    expect(single.resolvedType).toBe('environment');
    expect(single.environments.map((e) => e.environment)).toEqual(['b']);
  });

  it('records target, team and the base commit in the plan', () => {
    const withCommit = buildSnapshot({
      commitId: 'abc123',
      environments: { t: { upstream: LATEST } },
    });
    expect(planOf(withCommit, { target: 't', team: 'payments' })).toMatchObject({
      target: 't',
      targetType: 'environment',
      resolvedType: 'environment',
      team: 'payments',
      baseCommitId: 'abc123',
    });
    const noCommit = buildSnapshot({ commitId: null, environments: { t: { upstream: LATEST } } });
    expect(planOf(noCommit, { target: 't' }).baseCommitId).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Source commit

describe('sourceSnapshot (sourceGitTag)', () => {
  // The tip: what is deployed and locked now, and which release files exist now.
  const tip = buildSnapshot({
    commitId: 'tip',
    environments: {
      up: { upstream: LATEST, apps: { web: { version: 5 }, added: { version: 1 }, gone: { version: 1 } } },
      t: {
        upstream: from('up'),
        apps: { web: { version: 3 }, same: { version: 2 }, held: { version: 1, locks: ['now'] } },
      },
      l: { upstream: LATEST, apps: { web: { version: 4 } } },
    },
    applications: {
      web: {
        releases: { 1: ['up', 't', 'l'], 3: ['up', 't', 'l'], 4: ['up', 't', 'l'], 5: ['up', 't', 'l'] },
      },
      added: { releases: { 1: ['up', 't', 'l'] } },
      same: { releases: { 2: ['up', 't', 'l'] } },
      held: { releases: { 1: ['up', 't', 'l'], 2: ['up', 't', 'l'] } },
      // Release 2 was removed since the tag.
      gone: { releases: { 1: ['up', 't', 'l'] } },
    },
  });
  // The tagged commit: older versions upstream; different locks and deployments in the target.
  const tagged = buildSnapshot({
    commitId: 'tag',
    environments: {
      up: {
        upstream: LATEST,
        apps: {
          web: { version: 4 },
          same: { version: 2 },
          held: { version: 2 },
          gone: { version: 1 },
          dropped: { version: 1 },
        },
      },
      t: {
        upstream: from('up'),
        locks: ['then'],
        apps: { web: { version: 4, locks: ['then'] }, same: { version: 1 }, held: { version: 2 } },
      },
      l: { upstream: LATEST },
    },
    applications: {
      web: { releases: { 1: ['up', 't', 'l'], 3: ['up', 't', 'l'], 4: ['up', 't', 'l'] } },
      same: { releases: { 1: ['up', 't', 'l'], 2: ['up', 't', 'l'] } },
      held: { releases: { 1: ['up', 't', 'l'], 2: ['up', 't', 'l'] } },
      gone: { releases: { 1: ['up', 't', 'l'] } },
      // Removed for good since the tag.
      dropped: { releases: { 1: ['up', 't', 'l'] } },
    },
  });
  const plan = planOf(tip, { target: 't', sourceSnapshot: tagged });

  it('takes the candidate apps from the upstream environment at the tag', () => {
    expect(appNames(plan, 't')).toEqual(['dropped', 'gone', 'held', 'same', 'web']);
  });

  it('takes the source versions from the tag and the manifests from the tip', () => {
    expect(appOutcome(plan, 't', 'web')).toEqual(deploy('web', 4, 't', 3));
  });

  it('compares with the version deployed at the tip, not at the tag', () => {
    expect(appOutcome(plan, 't', 'same')).toEqual({
      kind: 'skip',
      cause: 'APP_ALREADY_IN_UPSTREAM_VERSION',
      version: 2,
    });
  });

  it('reads the environment and app locks from the tip, not from the tag', () => {
    expect(envOutcome(plan, 't').kind).toBe('train');
    expect(appOutcome(plan, 't', 'held')).toEqual({
      kind: 'skip',
      cause: 'APP_IS_LOCKED',
      locks: [lock('now')],
    });
  });

  it('skips an app that the tip no longer has at all with APP_DOES_NOT_EXIST_IN_ENV', () => {
    expect(appOutcome(plan, 't', 'dropped')).toEqual({ kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' });
  });

  it('answers releasesRemoved, naming app and version, for a source version the tip no longer has', () => {
    // The tag names release 2 of gone, which retention removed since (lifecycle.md: a 409, not a skip).
    const taggedBefore = buildSnapshot({
      commitId: 'older-tag',
      environments: { up: { upstream: LATEST, apps: { gone: { version: 2 }, web: { version: 4 } } } },
      applications: {
        gone: { releases: { 1: ['up', 't', 'l'], 2: ['up', 't', 'l'] } },
        web: { releases: { 4: ['up', 't', 'l'] } },
      },
    });
    for (const target of ['t', 'l']) {
      expect(
        planReleaseTrain(tip, { target, targetType: 'environment', now: NOW, sourceSnapshot: taggedBefore }),
      ).toEqual({
        kind: 'releasesRemoved',
        releases: [{ app: 'gone', version: 2 }],
      });
    }
    // Not before the rules that come first: an app lock at the tip still skips it.
    const locked = buildSnapshot({
      commitId: 'tip-locked',
      environments: {
        up: { upstream: LATEST },
        t: { upstream: from('up'), apps: { gone: { locks: ['now'] } } },
      },
      applications: { gone: { releases: { 1: ['up', 't'] } } },
    });
    expect(appOutcome(planOf(locked, { target: 't', sourceSnapshot: taggedBefore }), 't', 'gone')).toEqual({
      kind: 'skip',
      cause: 'APP_IS_LOCKED',
      locks: [lock('now')],
    });
  });

  it('bases the plan on the tip commit', () => {
    expect(plan.baseCommitId).toBe('tip');
  });

  it('with upstream.latest, takes the apps and their latest releases from the tag', () => {
    const latestPlan = planOf(tip, { target: 'l', sourceSnapshot: tagged });
    expect(appsOf(latestPlan, 'l')).toEqual([
      { app: 'dropped', outcome: { kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' } },
      { app: 'gone', outcome: deploy('gone', 1, 'l') },
      { app: 'held', outcome: deploy('held', 2, 'l') },
      { app: 'same', outcome: deploy('same', 2, 'l') },
      { app: 'web', outcome: { kind: 'skip', cause: 'APP_ALREADY_IN_UPSTREAM_VERSION', version: 4 } },
    ]);
  });

  it('without a sourceSnapshot the tip is the source', () => {
    expect(appsOf(planOf(tip, { target: 't' }), 't')).toEqual([
      { app: 'added', outcome: deploy('added', 1, 't') },
      { app: 'gone', outcome: deploy('gone', 1, 't') },
      { app: 'web', outcome: deploy('web', 5, 't', 3) },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Corrupt data

function expectCorrupt(run: () => unknown, file: string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CorruptRepoError);
  expect((thrown as CorruptRepoError).file).toBe(file);
  expect((thrown as CorruptRepoError).code).toBe('MANIFEST_REPO_CORRUPT');
  expect((thrown as CorruptRepoError).message).toContain(file);
}

describe('corrupt data', () => {
  it('a corrupt config of the target environment throws CorruptRepoError naming config.json', () => {
    const snapshot = buildSnapshot({ environments: { t: { config: CORRUPT } } });
    expectCorrupt(
      () => planReleaseTrain(snapshot, { target: 't', targetType: 'environment', now: NOW }),
      configFile('t'),
    );
  });

  it('a corrupt config of an untouched environment does not affect an environment-type request', () => {
    const snapshot = buildSnapshot({
      environments: { t: { upstream: LATEST }, broken: { config: CORRUPT } },
      applications: { web: { releases: { 1: ['t'] } } },
    });
    expect(deploymentsOf(planOf(snapshot, { target: 't' }))).toEqual([
      { environment: 't', app: 'web', version: 1, manifestBlobId: blobId('web', 1, 't') },
    ]);
  });

  it('a corrupt config of any environment fails a group request (it could be a member)', () => {
    const snapshot = buildSnapshot({
      environments: { a: { group: 'g', upstream: LATEST }, broken: { config: CORRUPT } },
    });
    expectCorrupt(
      () => planReleaseTrain(snapshot, { target: 'g', targetType: 'environmentGroup', now: NOW }),
      configFile('broken'),
    );
  });

  describe('a corrupt deployed version in environment up', () => {
    const snapshot = buildSnapshot({
      environments: {
        up: { upstream: LATEST, apps: { web: { version: CORRUPT }, api: { version: 1 } } },
        fromUp: { upstream: from('up') },
        fromOther: { upstream: from('other') },
        other: { apps: { api: { version: 1 } } },
        fromLatest: { upstream: LATEST },
      },
      applications: {
        web: { releases: { 1: ['fromUp', 'fromOther', 'fromLatest'] } },
        api: { releases: { 1: ['fromUp', 'fromOther', 'fromLatest'] } },
      },
    });

    it('throws naming the version file when up is the upstream', () => {
      expectCorrupt(
        () => planReleaseTrain(snapshot, { target: 'fromUp', targetType: 'environment', now: NOW }),
        versionFile('up', 'web'),
      );
    });

    it('does not throw when the upstream is another environment', () => {
      expect(deploymentsOf(planOf(snapshot, { target: 'fromOther' }))).toEqual([
        { environment: 'fromOther', app: 'api', version: 1, manifestBlobId: blobId('api', 1, 'fromOther') },
      ]);
    });

    it('does not throw when the upstream is latest', () => {
      expect(deploymentsOf(planOf(snapshot, { target: 'fromLatest' })).map((d) => d.app)).toEqual([
        'api',
        'web',
      ]);
    });

    it('does not throw for a corrupt queued version upstream (it is never a source)', () => {
      const queued = buildSnapshot({
        environments: {
          up: { apps: { web: { queued: CORRUPT } } },
          t: { upstream: from('up') },
        },
        applications: { web: { releases: { 1: ['t'] } } },
      });
      expect(appOutcome(planOf(queued, { target: 't' }), 't', 'web')).toEqual({
        kind: 'skip',
        cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
      });
    });
  });

  it("does not read another team's corrupt upstream version when a team filter leaves the app out", () => {
    const snapshot = buildSnapshot({
      environments: {
        up: { apps: { web: { version: CORRUPT }, api: { version: 1 } } },
        t: { upstream: from('up') },
      },
      applications: {
        web: { team: 'shop', releases: { 1: ['t'] } },
        api: { team: 'payments', releases: { 1: ['t'] } },
      },
    });
    expect(deploymentsOf(planOf(snapshot, { target: 't', team: 'payments' })).map((d) => d.app)).toEqual([
      'api',
    ]);
    expectCorrupt(
      () => planReleaseTrain(snapshot, { target: 't', targetType: 'environment', now: NOW }),
      versionFile('up', 'web'),
    );
  });

  it('a corrupt deployed version of a candidate in the target throws naming the file', () => {
    const snapshot = buildSnapshot({
      environments: { t: { upstream: LATEST, apps: { web: { version: CORRUPT } } } },
      applications: { web: { releases: { 1: ['t'] } } },
    });
    expectCorrupt(
      () => planReleaseTrain(snapshot, { target: 't', targetType: 'environment', now: NOW }),
      versionFile('t', 'web'),
    );
  });

  describe('corrupt app locks in the target', () => {
    const snapshot = (appInTarget: AppInEnvironmentSpec, upVersion: number | undefined, team?: string) =>
      buildSnapshot({
        environments: {
          up: { apps: upVersion === undefined ? { web: { queued: 1 } } : { web: { version: upVersion } } },
          t: { upstream: from('up'), apps: { web: appInTarget } },
        },
        applications: { web: { ...(team ? { team } : {}), releases: { 1: ['t'], 2: ['t'] } } },
      });

    it('throw naming the locks when the lock check is reached', () => {
      expectCorrupt(
        () =>
          planReleaseTrain(snapshot({ version: 1, locks: CORRUPT }, 2), {
            target: 't',
            targetType: 'environment',
            now: NOW,
          }),
        appLocksDir('t', 'web'),
      );
    });

    it('do not throw when the app has no version upstream (row 1 decides first)', () => {
      expect(
        appOutcome(planOf(snapshot({ version: 1, locks: CORRUPT }, undefined), { target: 't' }), 't', 'web'),
      ).toEqual({ kind: 'skip', cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' });
    });

    it('do not throw when the app is already in the version (row 2 decides first)', () => {
      expect(
        appOutcome(planOf(snapshot({ version: 2, locks: CORRUPT }, 2), { target: 't' }), 't', 'web'),
      ).toEqual({
        kind: 'skip',
        cause: 'APP_ALREADY_IN_UPSTREAM_VERSION',
        version: 2,
      });
    });

    it('do not throw when the app is left out by the team filter', () => {
      const plan = planOf(snapshot({ version: 1, locks: CORRUPT }, 2, 'payments'), {
        target: 't',
        team: 'search',
      });
      expect(appsOf(plan, 't')).toEqual([]);
    });

    it('do not throw when the environment is skipped', () => {
      const locked = buildSnapshot({
        environments: {
          t: { upstream: LATEST, locks: ['freeze'], apps: { web: { locks: CORRUPT } } },
        },
        applications: { web: { releases: { 1: ['t'] } } },
      });
      expect(envOutcome(planOf(locked, { target: 't' }), 't')).toMatchObject({ cause: 'ENV_IS_LOCKED' });
    });
  });

  it('corrupt environment locks throw when the lock check is reached', () => {
    const snapshot = buildSnapshot({ environments: { t: { upstream: LATEST, locks: CORRUPT } } });
    expectCorrupt(
      () => planReleaseTrain(snapshot, { target: 't', targetType: 'environment', now: NOW }),
      environmentLocksDir('t'),
    );
  });

  it('corrupt environment locks do not throw when an earlier environment row decides', () => {
    const snapshot = buildSnapshot({ environments: { t: { locks: CORRUPT } } });
    expect(envOutcome(planOf(snapshot, { target: 't' }), 't')).toEqual({
      kind: 'skipped',
      cause: 'ENV_HAS_NO_UPSTREAM',
    });
  });

  it('corrupt team locks throw when the team check is reached for an app of that team', () => {
    const snapshot = buildSnapshot({
      environments: { t: { upstream: LATEST, teamLocks: { payments: CORRUPT } } },
      applications: { web: { team: 'payments', releases: { 1: ['t'] } } },
    });
    expectCorrupt(
      () => planReleaseTrain(snapshot, { target: 't', targetType: 'environment', now: NOW }),
      teamLocksDir('t', 'payments'),
    );
  });

  it('corrupt team locks do not throw for apps of other teams, without a team, or decided earlier', () => {
    const snapshot = buildSnapshot({
      environments: { t: { upstream: LATEST, teamLocks: { payments: CORRUPT } } },
      applications: {
        api: { team: 'search', releases: { 1: ['t'] } },
        noteam: { releases: { 1: ['t'] } },
        web: { team: 'payments', releases: { 1: ['other'] } },
      },
    });
    expect(appsOf(planOf(snapshot, { target: 't' }), 't')).toEqual([
      { app: 'api', outcome: deploy('api', 1, 't') },
      { app: 'noteam', outcome: deploy('noteam', 1, 't') },
      { app: 'web', outcome: { kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' } },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Purity

describe('purity', () => {
  const spec = {
    commitId: 'tip',
    environments: {
      a: {
        group: 'g',
        upstream: LATEST,
        teamLocks: { search: ['theirs'] },
        apps: { web: { version: 1, locks: ['b-lock', 'a-lock'] }, api: { version: 2 } },
      },
      b: { group: 'g', upstream: from('a'), apps: { web: { version: 1 } } },
      c: { group: 'g', upstream: LATEST, locks: ['z', 'y'] },
    },
    applications: {
      web: { team: 'payments', releases: { 1: ['a', 'b'], 2: ['a', 'b'] } },
      api: { team: 'search', releases: { 2: ['a', 'b'], 3: ['a', 'b'] } },
    },
  } as const;

  it('does not mutate the snapshot or the source snapshot (deeply frozen; equal to a copy afterwards)', () => {
    const snapshot = buildSnapshot(spec);
    const source = buildSnapshot({ ...spec, commitId: 'tag' });
    const snapshotCopy = structuredClone(snapshot);
    const sourceCopy = structuredClone(source);
    const expected = planOf(buildSnapshot(spec), {
      target: 'g',
      targetType: 'environmentGroup',
      sourceSnapshot: buildSnapshot({ ...spec, commitId: 'tag' }),
    });
    deepFreeze(snapshot);
    deepFreeze(source);

    const plan = planOf(snapshot, { target: 'g', targetType: 'environmentGroup', sourceSnapshot: source });
    const again = planOf(snapshot, { target: 'g', targetType: 'environmentGroup', sourceSnapshot: source });

    expect(plan).toEqual(expected);
    expect(again).toEqual(plan);
    expect(snapshot).toEqual(snapshotCopy);
    expect(source).toEqual(sourceCopy);
  });

  it('the deep freeze helper really catches a Map mutation', () => {
    const frozen = deepFreeze(buildSnapshot(spec));
    expect(() => (frozen.environments as Map<string, unknown>).delete('a')).toThrow(/mutated/);
  });
});
