// What the 412 page says changed between the plan a person was shown and the plan a train found:
// one line per environment or app whose decision differs, in words; nothing for what the plan id
// does not cover (lock ids, the versions deployed now); bounded.
import { describe, expect, it } from 'vitest';
import type { AppPlan, EnvironmentPlan, ReleaseTrainPlan } from '../../src/planning/releaseTrain.js';
import { planChanges, SHOWN_CHANGES } from '../../src/ui/planChanges.js';

const plan = (environments: EnvironmentPlan[]): ReleaseTrainPlan => ({
  target: 'prod',
  targetType: 'unknown',
  resolvedType: 'environmentGroup',
  team: undefined,
  baseCommitId: null,
  environments,
});

const deploy = (app: string, version: number, blob = `blob-${version}`, previous = 1): AppPlan => ({
  app,
  outcome: { kind: 'deploy', version, manifestBlobId: blob, previousVersion: previous },
});

const fromStaging = (apps: AppPlan[]): EnvironmentPlan['outcome'] => ({
  kind: 'train',
  source: { kind: 'environment', name: 'staging' },
  apps,
});

const lock = {
  lockId: 'freeze',
  message: 'm',
  createdAt: '2026-11-20T09:00:00Z',
  createdByName: 'Ana',
  createdByEmail: 'ana@example.com',
};

describe('planChanges', () => {
  it('says nothing for the same decisions, whatever the lock ids or the versions deployed now', () => {
    const a = plan([
      { environment: 'prod-ca', outcome: fromStaging([deploy('checkout', 2, 'b', 1)]) },
      { environment: 'prod-de', outcome: { kind: 'skipped', cause: 'ENV_IS_LOCKED', locks: [lock] } },
    ]);
    const b = plan([
      { environment: 'prod-ca', outcome: fromStaging([deploy('checkout', 2, 'b', 0)]) },
      {
        environment: 'prod-de',
        outcome: { kind: 'skipped', cause: 'ENV_IS_LOCKED', locks: [{ ...lock, lockId: 'other' }] },
      },
    ]);
    expect(planChanges(a, b)).toEqual({ lines: [], more: 0 });
  });

  // An environment that is skipped on one side is one line: the plan below lists what it deploys.
  it('names each environment and app that differs: deployed <-> skipped, another version, another manifest, another cause', () => {
    const shown = plan([
      {
        environment: 'prod-ca',
        outcome: fromStaging([
          deploy('cart', 2),
          deploy('checkout', 2),
          deploy('docs', 3, 'old'),
          { app: 'search', outcome: { kind: 'skip', cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' } },
        ]),
      },
      { environment: 'prod-de', outcome: fromStaging([deploy('checkout', 2)]) },
      { environment: 'prod-us', outcome: { kind: 'skipped', cause: 'ENV_IS_LOCKED', locks: [lock] } },
    ]);
    const now = plan([
      {
        environment: 'prod-ca',
        outcome: fromStaging([
          { app: 'cart', outcome: { kind: 'skip', cause: 'APP_IS_LOCKED', locks: [lock] } },
          deploy('checkout', 3),
          deploy('docs', 3, 'new'),
          {
            app: 'search',
            outcome: { kind: 'skip', cause: 'TEAM_IS_LOCKED', team: 'discovery', locks: [lock] },
          },
          deploy('wiki', 1),
        ]),
      },
      {
        environment: 'prod-de',
        outcome: { kind: 'skipped', cause: 'ENV_OUTSIDE_DEPLOY_WINDOW', nextWindowStart: undefined },
      },
      { environment: 'prod-us', outcome: fromStaging([deploy('checkout', 2)]) },
    ]);
    expect(planChanges(shown, now).lines).toEqual([
      'prod-ca: cart is now skipped (the application is locked here), was deployed in version 2.',
      'prod-ca: checkout is now deployed in version 3, was deployed in version 2.',
      'prod-ca: docs is deployed in version 3, with another manifest.',
      "prod-ca: search is now skipped (its team 'discovery' is locked here), was skipped (it is not deployed in staging).",
      'prod-ca: wiki is now deployed in version 1, was not part of the train.',
      'prod-de: now skipped (it is outside its deploy windows), was taking from staging.',
      'prod-us: now taking from staging, was skipped (the environment is locked).',
    ]);
  });

  it('lists at most SHOWN_CHANGES lines and counts the rest', () => {
    const apps = (version: number) =>
      Array.from({ length: SHOWN_CHANGES + 50 }, (_, index) =>
        deploy(`app-${String(index).padStart(4, '0')}`, version),
      );
    const changes = planChanges(
      plan([{ environment: 'prod-ca', outcome: fromStaging(apps(1)) }]),
      plan([{ environment: 'prod-ca', outcome: fromStaging(apps(2)) }]),
    );
    expect(changes.lines).toHaveLength(SHOWN_CHANGES);
    expect(changes.lines[0]).toBe(
      'prod-ca: app-0000 is now deployed in version 2, was deployed in version 1.',
    );
    expect(changes.more).toBe(50);
  });
});
