import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/planning/model.js';
import { canonicalPlanText } from '../../src/planning/planId.js';
import {
  planReleaseTrain,
  type ReleaseTrainPlan,
  type ReleaseTrainRequest,
} from '../../src/planning/releaseTrain.js';
import { buildSnapshot, from, LATEST, type SnapshotSpec } from './snapshotBuilder.js';

function planOf(snapshot: Snapshot, request: Partial<ReleaseTrainRequest> = {}): ReleaseTrainPlan {
  const outcome = planReleaseTrain(snapshot, {
    target: 'prod',
    targetType: 'environmentGroup',
    now: new Date('2026-12-01T12:00:00Z'),
    ...request,
  });
  if (outcome.kind !== 'planned') throw new Error(`expected a plan, got ${outcome.kind}`);
  return outcome.plan;
}

/** staging -> prod-a, prod-b, prod-c (group prod): one deploy, each kind of skip. */
const SPEC: SnapshotSpec = {
  commitId: 'c1',
  applications: {
    api: { team: 'core', releases: { 1: ['prod-a', 'prod-b'], 2: ['prod-a', 'prod-b'] } },
    web: { team: 'shop', releases: { 1: ['prod-a', 'prod-b'] } },
  },
  environments: {
    staging: { upstream: LATEST, apps: { api: { version: 2 }, web: { version: 1 } } },
    'prod-a': {
      upstream: from('staging'),
      group: 'prod',
      apps: { api: { version: 1 }, web: { version: 1 } },
    },
    'prod-b': { upstream: from('staging'), group: 'prod', locks: ['freeze'] },
    'prod-c': { group: 'prod' },
  },
};

describe('canonicalPlanText', () => {
  it('is one line per decision: target, resolved type, team, each environment with its apps', () => {
    expect(canonicalPlanText(planOf(buildSnapshot(SPEC)))).toBe(
      [
        'trainyard-plan 1',
        'target prod',
        'type environmentGroup',
        'team ',
        'env prod-a',
        ' api 2 blob:api@2:prod-a',
        ' web APP_ALREADY_IN_UPSTREAM_VERSION',
        'env prod-b ENV_IS_LOCKED',
        'env prod-c ENV_HAS_NO_UPSTREAM',
        '',
      ].join('\n'),
    );
  });

  it('names the team and the type the target resolved to', () => {
    const snapshot = buildSnapshot(SPEC);
    const text = canonicalPlanText(
      planOf(snapshot, { target: 'prod-a', targetType: 'unknown', team: 'core' }),
    );
    expect(text).toContain('target prod-a\ntype environment\nteam core\n');
    // Another team's apps are left out of its plan entirely.
    expect(text).not.toContain(' web ');
    // The same environment asked for as an environment: the same plan.
    expect(
      canonicalPlanText(planOf(snapshot, { target: 'prod-a', targetType: 'environment', team: 'core' })),
    ).toBe(text);
  });

  it('is the same for the same decisions on another commit, with other locks, deployed versions or lock messages', () => {
    const base = canonicalPlanText(planOf(buildSnapshot(SPEC)));
    const other = buildSnapshot({
      ...SPEC,
      commitId: 'c2',
      environments: {
        ...SPEC.environments,
        // Another lock instead of `freeze`: still ENV_IS_LOCKED.
        'prod-b': { upstream: from('staging'), group: 'prod', locks: ['audit', 'xmas'] },
        // Not deployed at all instead of version 1: the train still deploys 2.
        'prod-a': { upstream: from('staging'), group: 'prod', apps: { web: { version: 1 } } },
        // An environment outside the target.
        dev: { upstream: LATEST, locks: ['elsewhere'] },
      },
    });
    expect(canonicalPlanText(planOf(other))).toBe(base);
  });

  it('changes with any decision: a version, a manifest, a skip cause, an app more', () => {
    const base = canonicalPlanText(planOf(buildSnapshot(SPEC)));
    const variants: SnapshotSpec[] = [
      // An app lock on api in prod-a: APP_IS_LOCKED instead of a deployment.
      {
        ...SPEC,
        environments: {
          ...SPEC.environments,
          'prod-a': {
            ...SPEC.environments?.['prod-a'],
            apps: { api: { version: 1, locks: ['hold'] }, web: { version: 1 } },
          },
        },
      },
      // staging runs api 1: the train deploys 1, not 2.
      {
        ...SPEC,
        environments: {
          ...SPEC.environments,
          staging: { upstream: LATEST, apps: { api: { version: 1 }, web: { version: 1 } } },
        },
      },
      // The lock on prod-b is gone: prod-b trains.
      {
        ...SPEC,
        environments: { ...SPEC.environments, 'prod-b': { upstream: from('staging'), group: 'prod' } },
      },
      // A new app in staging: one line more, although it is skipped.
      {
        ...SPEC,
        applications: { ...SPEC.applications, new: { releases: { 1: ['staging'] } } },
        environments: {
          ...SPEC.environments,
          staging: {
            upstream: LATEST,
            apps: { api: { version: 2 }, web: { version: 1 }, new: { version: 1 } },
          },
        },
      },
    ];
    for (const variant of variants) {
      expect(canonicalPlanText(planOf(buildSnapshot(variant)))).not.toBe(base);
    }
    // The same version with another manifest blob (a release rewritten by hand).
    const plan = planOf(buildSnapshot(SPEC));
    const rewritten: ReleaseTrainPlan = {
      ...plan,
      environments: plan.environments.map((environment) =>
        environment.outcome.kind !== 'train'
          ? environment
          : {
              ...environment,
              outcome: {
                ...environment.outcome,
                apps: environment.outcome.apps.map((app) =>
                  app.outcome.kind === 'deploy'
                    ? { ...app, outcome: { ...app.outcome, manifestBlobId: 'other' } }
                    : app,
                ),
              },
            },
      ),
    };
    expect(canonicalPlanText(rewritten)).not.toBe(base);
  });
});
