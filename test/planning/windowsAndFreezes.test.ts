// windows.md in the planners: deploy windows gate release trains (after ENV_IS_LOCKED), and a
// timed lock blocks trains, release auto-deployments and deployments only inside its interval.
// "Now" is an argument of every planner here: fixed instants, no clock.
import { describe, expect, it } from 'vitest';
import { AppError, CorruptRepoError } from '../../src/domain/errors.js';
import { renderTrainCommitMessage } from '../../src/planning/commitMessage.js';
import { planDeployment } from '../../src/planning/deployments.js';
import { planCreateLock } from '../../src/planning/locks.js';
import type { Lock, Snapshot } from '../../src/planning/model.js';
import { planCreateRelease } from '../../src/planning/releases.js';
import {
  type EnvironmentOutcome,
  planReleaseTrain,
  type ReleaseTrainPlan,
} from '../../src/planning/releaseTrain.js';
import {
  lockExpired,
  lockInForce,
  locksInForce,
  withExpiredLocksRemoved,
} from '../../src/planning/timedLocks.js';
import {
  blobId,
  buildSnapshot,
  configFile,
  deepFreeze,
  type EnvironmentSpec,
  from,
  LATEST,
  lock,
} from './snapshotBuilder.js';

const MONDAY_10_UTC = new Date('2026-11-23T10:00:00.000Z');
const at = (iso: string) => new Date(iso);

/** A lock in force in [validFrom, validUntil). */
function timedLock(lockId: string, validFrom?: string, validUntil?: string): Lock {
  return {
    ...lock(lockId),
    ...(validFrom !== undefined ? { validFrom } : {}),
    ...(validUntil !== undefined ? { validUntil } : {}),
  };
}

const ALL_WEEK_UTC = [
  { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00', timeZone: 'UTC' },
];
// Closed on Monday 23 November 2026 at 10:00 UTC; opens on Tuesday at 09:00 in Berlin (08:00 UTC).
const TUESDAYS_IN_BERLIN = [{ days: ['tue'], start: '09:00', end: '16:00', timeZone: 'Europe/Berlin' }];

/** Group `prod` of prod-a and prod-b taking `staging`, where web 2 waits for both. */
function prodSnapshot(a: EnvironmentSpec, b: EnvironmentSpec = {}): Snapshot {
  return deepFreeze(
    buildSnapshot({
      environments: {
        staging: { upstream: LATEST, apps: { web: { version: 2 } } },
        'prod-a': { upstream: from('staging'), group: 'prod', apps: { web: { version: 1 } }, ...a },
        'prod-b': { upstream: from('staging'), group: 'prod', apps: { web: { version: 1 } }, ...b },
      },
      applications: {
        web: {
          team: 'shop',
          releases: { 1: ['staging', 'prod-a', 'prod-b'], 2: ['staging', 'prod-a', 'prod-b'] },
        },
      },
    }),
  );
}

function plan(snapshot: Snapshot, now: Date, target = 'prod'): ReleaseTrainPlan {
  const outcome = planReleaseTrain(snapshot, { target, targetType: 'unknown', now });
  if (outcome.kind !== 'planned') throw new Error(`expected a plan, got ${JSON.stringify(outcome)}`);
  return outcome.plan;
}

function outcomeOf(trainPlan: ReleaseTrainPlan, environment: string): EnvironmentOutcome {
  const found = trainPlan.environments.find((entry) => entry.environment === environment);
  if (!found) throw new Error(`no ${environment} in the plan`);
  return found.outcome;
}

const DEPLOY_WEB_2 = (environment: string) => ({
  kind: 'train',
  source: { kind: 'environment', name: 'staging' },
  apps: [
    {
      app: 'web',
      outcome: {
        kind: 'deploy',
        version: 2,
        manifestBlobId: blobId('web', 2, environment),
        previousVersion: 1,
      },
    },
  ],
});

describe('lockInForce: [validFrom, validUntil)', () => {
  const freeze = timedLock('xmas', '2026-12-20T00:00:00Z', '2027-01-02T00:00:00+01:00');

  it.each([
    ['before validFrom', '2026-12-19T23:59:59.999Z', false],
    ['at validFrom', '2026-12-20T00:00:00.000Z', true],
    ['inside', '2026-12-31T12:00:00.000Z', true],
    ['the millisecond before validUntil (an offset of +01:00)', '2027-01-01T22:59:59.999Z', true],
    ['at validUntil', '2027-01-01T23:00:00.000Z', false],
    ['after', '2027-02-01T00:00:00.000Z', false],
  ])('%s: %s -> %s', (_name, now, inForce) => {
    expect(lockInForce(freeze, at(now))).toBe(inForce);
  });

  it('a lock without bounds is always in force; one bound leaves the other side open', () => {
    expect(lockInForce(lock('plain'), at('1970-01-01T00:00:00Z'))).toBe(true);
    expect(lockInForce(timedLock('from', '2026-12-20T00:00:00Z'), at('2099-01-01T00:00:00Z'))).toBe(true);
    expect(
      lockInForce(timedLock('until', undefined, '2026-12-20T00:00:00Z'), at('2000-01-01T00:00:00Z')),
    ).toBe(true);
  });

  it('is over (expired) from validUntil on, never before', () => {
    expect(lockExpired(freeze, at('2027-01-01T22:59:59.999Z'))).toBe(false);
    expect(lockExpired(freeze, at('2027-01-01T23:00:00.000Z'))).toBe(true);
    expect(lockExpired(lock('plain'), at('2099-01-01T00:00:00Z'))).toBe(false);
  });

  it('locksInForce keeps those in force, in lock id order', () => {
    const locks = new Map(
      [timedLock('zz'), timedLock('later', '2026-12-20T00:00:00Z'), timedLock('aa')].map((l) => [
        l.lockId,
        l,
      ]),
    );
    expect(locksInForce(locks, MONDAY_10_UTC).map((l) => l.lockId)).toEqual(['aa', 'zz']);
  });
});

describe('release trains and deploy windows', () => {
  it('deploys while a window is open', () => {
    const trainPlan = plan(prodSnapshot({ deployWindows: ALL_WEEK_UTC }), MONDAY_10_UTC);
    expect(outcomeOf(trainPlan, 'prod-a')).toEqual(DEPLOY_WEB_2('prod-a'));
  });

  it('skips an environment outside every window with ENV_OUTSIDE_DEPLOY_WINDOW and the next start; the others go on', () => {
    const trainPlan = plan(prodSnapshot({ deployWindows: TUESDAYS_IN_BERLIN }), MONDAY_10_UTC);
    expect(outcomeOf(trainPlan, 'prod-a')).toEqual({
      kind: 'skipped',
      cause: 'ENV_OUTSIDE_DEPLOY_WINDOW',
      nextWindowStart: '2026-11-24T08:00:00.000Z',
    });
    expect(outcomeOf(trainPlan, 'prod-b')).toEqual(DEPLOY_WEB_2('prod-b'));
    // The same snapshot a day later: the window is open.
    expect(
      outcomeOf(
        plan(prodSnapshot({ deployWindows: TUESDAYS_IN_BERLIN }), at('2026-11-24T08:00:00Z')),
        'prod-a',
      ),
    ).toEqual(DEPLOY_WEB_2('prod-a'));
  });

  it('checks the window after ENV_IS_LOCKED and after the upstream rules', () => {
    const locked = plan(
      prodSnapshot({ deployWindows: TUESDAYS_IN_BERLIN, locks: ['freeze'] }),
      MONDAY_10_UTC,
    );
    expect(outcomeOf(locked, 'prod-a')).toMatchObject({ kind: 'skipped', cause: 'ENV_IS_LOCKED' });
    const noUpstream = plan(
      prodSnapshot({ deployWindows: TUESDAYS_IN_BERLIN, upstream: null }),
      MONDAY_10_UTC,
    );
    expect(outcomeOf(noUpstream, 'prod-a')).toEqual({ kind: 'skipped', cause: 'ENV_HAS_NO_UPSTREAM' });
  });

  it('an invalid window is a corrupt config.json for the train that needs it, never "always open"', () => {
    const broken = prodSnapshot({
      deployWindows: [{ days: ['mon'], start: '9:00', end: '16:00', timeZone: 'UTC' }],
    });
    const error = (() => {
      try {
        plan(broken, MONDAY_10_UTC);
      } catch (caught) {
        return caught;
      }
      throw new Error('the train was planned');
    })();
    expect(error).toBeInstanceOf(CorruptRepoError);
    expect((error as CorruptRepoError).message).toContain(configFile('prod-a'));
    expect((error as CorruptRepoError).message).toContain('deployWindows[0].start');
    // A train to another environment does not read it.
    expect(outcomeOf(plan(broken, MONDAY_10_UTC, 'prod-b'), 'prod-b')).toEqual(DEPLOY_WEB_2('prod-b'));
  });

  it("writes one line for the skipped environment in the train's commit message", () => {
    const trainPlan = plan(prodSnapshot({ deployWindows: TUESDAYS_IN_BERLIN }), MONDAY_10_UTC);
    const message = renderTrainCommitMessage(trainPlan, { requestId: 'req-1' });
    expect(message.split('\n\n')[1]).toBe(
      "Target Environment 'prod-a' is outside its deploy windows - skipping.",
    );
  });
});

describe('release trains and timed locks', () => {
  const FUTURE = timedLock('xmas', '2026-12-20T00:00:00Z', '2027-01-02T00:00:00Z');
  const NOW_IN_FORCE = timedLock('today', '2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z');
  const EXPIRED = timedLock('last-week', '2026-11-16T00:00:00Z', '2026-11-23T10:00:00Z');

  it('an environment lock blocks only inside its interval, and the prognosis lists only those in force', () => {
    expect(outcomeOf(plan(prodSnapshot({ locks: [FUTURE, EXPIRED] }), MONDAY_10_UTC), 'prod-a')).toEqual(
      DEPLOY_WEB_2('prod-a'),
    );
    expect(
      outcomeOf(plan(prodSnapshot({ locks: [FUTURE, NOW_IN_FORCE, EXPIRED] }), MONDAY_10_UTC), 'prod-a'),
    ).toEqual({
      kind: 'skipped',
      cause: 'ENV_IS_LOCKED',
      locks: [NOW_IN_FORCE],
    });
    expect(outcomeOf(plan(prodSnapshot({ locks: [FUTURE] }), at('2026-12-24T18:00:00Z')), 'prod-a')).toEqual({
      kind: 'skipped',
      cause: 'ENV_IS_LOCKED',
      locks: [FUTURE],
    });
  });

  it('an application lock blocks only inside its interval', () => {
    const snapshot = prodSnapshot({ apps: { web: { version: 1, locks: [FUTURE] } } });
    expect(outcomeOf(plan(snapshot, MONDAY_10_UTC), 'prod-a')).toEqual(DEPLOY_WEB_2('prod-a'));
    expect(outcomeOf(plan(snapshot, at('2026-12-20T00:00:00Z')), 'prod-a')).toMatchObject({
      apps: [{ app: 'web', outcome: { kind: 'skip', cause: 'APP_IS_LOCKED', locks: [FUTURE] } }],
    });
  });

  it('a team lock blocks only inside its interval', () => {
    const snapshot = prodSnapshot({ teamLocks: { shop: [EXPIRED] } });
    expect(outcomeOf(plan(snapshot, MONDAY_10_UTC), 'prod-a')).toEqual(DEPLOY_WEB_2('prod-a'));
    expect(outcomeOf(plan(snapshot, at('2026-11-23T09:59:59.999Z')), 'prod-a')).toMatchObject({
      apps: [{ app: 'web', outcome: { kind: 'skip', cause: 'TEAM_IS_LOCKED', locks: [EXPIRED] } }],
    });
  });
});

describe('release auto-deployments, deployments and timed locks', () => {
  const CONTEXT = (time: Date) => ({
    deployer: { name: 'Ana', email: 'ana@example.com' },
    time,
    emptyBlobId: 'e69de29bb2d1d6434b8b29ae775ad8c2d48c5391',
    trailers: 'Request-Id: r',
    releasesKept: 20,
  });
  const snapshotWith = (locks: readonly Lock[]) =>
    deepFreeze(
      buildSnapshot({
        environments: {
          dev: { upstream: LATEST, locks, deployWindows: TUESDAYS_IN_BERLIN, apps: { web: { version: 1 } } },
        },
        applications: { web: { releases: { 1: ['dev'] } } },
      }),
    );
  const FREEZE = timedLock('freeze', '2026-11-23T12:00:00Z', '2026-11-24T00:00:00Z');
  const release = (snapshot: Snapshot, time: Date) =>
    planCreateRelease(
      snapshot,
      { app: 'web', manifests: new Map([['dev', { content: Buffer.from('a: 1\n'), blobId: 'blob' }]]) },
      CONTEXT(time),
    ).result;

  it('a new release deploys past a lock not yet in force (and past a closed window: windows gate trains only)', () => {
    expect(release(snapshotWith([FREEZE]), MONDAY_10_UTC)).toMatchObject({
      deployedTo: ['dev'],
      queuedIn: [],
    });
  });

  it('a new release is queued while the lock is in force', () => {
    expect(release(snapshotWith([FREEZE]), at('2026-11-23T12:00:00Z'))).toMatchObject({
      deployedTo: [],
      queuedIn: ['dev'],
    });
  });

  it('lockBehavior fail refuses only while a lock is in force', () => {
    const deploy = (time: Date) =>
      planDeployment(
        snapshotWith([FREEZE]),
        { environment: 'dev', app: 'web', version: 1, lockBehavior: 'fail' },
        CONTEXT(time),
      ).result;
    expect(deploy(MONDAY_10_UTC)).toEqual({ outcome: 'deployed' });
    expect(deploy(at('2026-11-24T00:00:00Z'))).toEqual({ outcome: 'deployed' });
    expect(deploy(at('2026-11-23T23:59:59Z'))).toEqual({
      outcome: 'locked',
      locks: { environmentLocks: [FREEZE], appLocks: [], teamLocks: [] },
    });
  });
});

describe('creating a timed lock', () => {
  const snapshot = deepFreeze(buildSnapshot({ environments: { dev: { group: 'prod' } } }));
  const create = (validFrom?: string, validUntil?: string) =>
    planCreateLock(
      snapshot,
      { kind: 'group', group: 'prod' },
      {
        lockId: 'xmas',
        message: 'code freeze',
        ...(validFrom && { validFrom }),
        ...(validUntil && { validUntil }),
      },
      { author: { name: 'Ana', email: 'ana@example.com' }, time: MONDAY_10_UTC, trailers: 'Request-Id: r' },
    );

  it('writes the bounds in UTC as valid_from and valid_until, and says whether it is in force now', () => {
    const planned = create('2026-12-20T00:00:00+01:00', '2027-01-02T00:00:00+01:00');
    expect(planned.changes).toContainEqual({
      kind: 'file',
      path: 'environments/dev/locks/xmas/valid_from',
      content: '2026-12-19T23:00:00.000Z',
    });
    expect(planned.changes).toContainEqual({
      kind: 'file',
      path: 'environments/dev/locks/xmas/valid_until',
      content: '2027-01-01T23:00:00.000Z',
    });
    expect(planned.result.inForce).toBe(false);
    expect(planned.message.split('\n')[0]).toBe(
      'Created lock "xmas" on environment group "prod", in force from 2026-12-19T23:00:00.000Z until 2027-01-01T23:00:00.000Z',
    );
    expect(create(undefined, '2026-11-23T10:00:00.001Z').result.inForce).toBe(true);
    expect(create('2026-11-23T10:00:00.000Z').result.inForce).toBe(true);
  });

  it.each([
    [
      'an interval already over',
      undefined,
      '2026-11-23T10:00:00Z',
      'validUntil 2026-11-23T10:00:00Z is not in the future',
    ],
    ['an interval over long ago', '2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z', 'is not in the future'],
    [
      'an inverted interval',
      '2027-01-02T00:00:00Z',
      '2026-12-20T00:00:00Z',
      'validFrom 2027-01-02T00:00:00Z is not before validUntil',
    ],
    ['an empty interval', '2026-12-20T00:00:00Z', '2026-12-20T01:00:00+01:00', 'is not before validUntil'],
    ['a day that does not exist', '2026-02-30T00:00:00Z', undefined, 'validFrom must be an RFC 3339 time'],
  ])('refuses %s (400, nothing written)', (_name, validFrom, validUntil, message) => {
    expect(() => create(validFrom, validUntil)).toThrow(AppError);
    expect(() => create(validFrom, validUntil)).toThrow(message);
  });
});

describe('removing expired locks with the next write that touches their environment', () => {
  const EXPIRED = timedLock('over', '2026-11-01T00:00:00Z', '2026-11-23T10:00:00Z');
  const RUNNING = timedLock('running', undefined, '2026-11-23T10:00:00.001Z');
  const snapshot = deepFreeze(
    buildSnapshot({
      environments: {
        dev: {
          locks: [EXPIRED, RUNNING, lock('plain')],
          teamLocks: { shop: [timedLock('team-over', undefined, '2026-11-22T00:00:00Z')] },
          apps: { web: { version: 1, locks: [timedLock('app-over', undefined, '2026-11-22T00:00:00Z')] } },
        },
        prod: { locks: [timedLock('prod-over', undefined, '2026-11-22T00:00:00Z')] },
      },
      applications: { web: { releases: { 1: ['dev'] } } },
    }),
  );
  const write = (path: string, message = 'Did something\n\nRequest-Id: r') => ({
    changes: [{ kind: 'file', path, content: 'x' }] as const,
    message,
    result: 'done',
  });

  it('removes each expired lock of the touched environments, one line each before the trailers', () => {
    const planned = withExpiredLocksRemoved(snapshot, write('environments/dev/config.json'), MONDAY_10_UTC);
    expect(planned.changes.slice(1)).toEqual([
      { kind: 'delete', path: 'environments/dev/locks/over' },
      { kind: 'delete', path: 'environments/dev/teams/shop/locks/team-over' },
      { kind: 'delete', path: 'environments/dev/applications/web/locks/app-over' },
    ]);
    expect(planned.message).toBe(
      [
        'Did something',
        '',
        'Removed lock "over" on environment "dev": it was in force until 2026-11-23T10:00:00Z',
        'Removed lock "team-over" on team "shop" in environment "dev": it was in force until 2026-11-22T00:00:00Z',
        'Removed lock "app-over" on application "web" in environment "dev": it was in force until 2026-11-22T00:00:00Z',
        '',
        'Request-Id: r',
      ].join('\n'),
    );
    expect(planned.result).toBe('done');
  });

  it('leaves environments the write does not touch, writes that change nothing, and locks the write itself writes', () => {
    const elsewhere = write('applications/web/team');
    expect(withExpiredLocksRemoved(snapshot, elsewhere, MONDAY_10_UTC)).toBe(elsewhere);
    const nothing = { changes: [], message: '', result: 'done' };
    expect(withExpiredLocksRemoved(snapshot, nothing, MONDAY_10_UTC)).toBe(nothing);
    // A new lock with the id of an expired one: the write replaces it, it is not removed after.
    const replacing = {
      changes: [
        { kind: 'delete', path: 'environments/prod/locks/prod-over' },
        { kind: 'file', path: 'environments/prod/locks/prod-over/message', content: 'again' },
      ] as const,
      message: 'Created lock\n\nRequest-Id: r',
      result: 'done',
    };
    expect(withExpiredLocksRemoved(snapshot, replacing, MONDAY_10_UTC)).toBe(replacing);
    // A moment earlier, nothing has expired.
    const early = write('environments/dev/config.json');
    expect(withExpiredLocksRemoved(snapshot, early, at('2026-11-21T00:00:00Z'))).toBe(early);
  });
});
