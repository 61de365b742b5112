// Plan files, pure: the train a file makes (its If-Match, target, type and team), and what a
// 412's current plan changes against the approved one. Through the command: plans.test.ts.
import { describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/cli/client.js';
import { UsageError } from '../../src/cli/flags.js';
import { planChanges, trainOfPlanFile } from '../../src/cli/planFile.js';
import type { EnvsPrognoses } from '../../src/schemas/releaseTrain.js';

const PLAN_ID = 'f'.repeat(64);
const CONNECTION = { url: 'http://trainyard.example.com', retries: 0, timeoutSeconds: 1, json: false };

describe('trainOfPlanFile', () => {
  it('sends the train of the file with If-Match, its team and the --ci_link given', () => {
    const file = JSON.stringify({
      planId: PLAN_ID,
      target: 'prod',
      targetType: 'environmentGroup',
      team: 'shop',
      envsPrognoses: {},
    });
    const command = trainOfPlanFile(
      { kind: 'planned-release-train', planFile: 'plan.json', ciLink: 'https://ci.example.com/1' },
      file,
    );
    const request = buildRequest({ connection: CONNECTION, command }, {});
    expect(request.method).toBe('PUT');
    expect(request.url).toBe(
      'http://trainyard.example.com/api/environment-groups/prod/releasetrain?team=shop',
    );
    expect(request.headers['if-match']).toBe(`"${PLAN_ID}"`);
    expect(request.body).toEqual({ kind: 'json', text: '{"ciLink":"https://ci.example.com/1"}' });
  });

  it('refuses a team flag for a plan without a team, and a group flag for an environment plan', () => {
    const file = JSON.stringify({
      planId: PLAN_ID,
      target: 'dev',
      targetType: 'environment',
      envsPrognoses: {},
    });
    expect(() =>
      trainOfPlanFile({ kind: 'planned-release-train', planFile: 'p', team: 'shop' }, file),
    ).toThrow(
      new UsageError(
        "the --team arg 'shop' conflicts with the plan file 'p', which has no team; leave it out or use another plan",
      ),
    );
    expect(() =>
      trainOfPlanFile({ kind: 'planned-release-train', planFile: 'p', group: true }, file),
    ).toThrow(/--use_env_group_target arg true conflicts .* a target of type environment/);
    expect(
      trainOfPlanFile({ kind: 'planned-release-train', planFile: 'p', group: false, target: 'dev' }, file),
    ).toMatchObject({
      kind: 'release-train',
      target: 'dev',
      group: false,
    });
  });
});

describe('planChanges', () => {
  const deploy = (version: number) => ({ deployedVersion: { version } });
  const apps = (prognoses: Record<string, object>) =>
    ({ appsPrognoses: { prognoses } }) as EnvsPrognoses[string];

  it('names each environment and app whose decision differs, in name order, and nothing else', () => {
    const approved: EnvsPrognoses = {
      a: apps({ x: deploy(2), y: { skipCause: 'APP_IS_LOCKED' }, z: deploy(1) }),
      b: { skipCause: 'ENV_IS_LOCKED' },
      c: apps({}),
    };
    const current: EnvsPrognoses = {
      a: apps({
        x: deploy(3),
        y: { skipCause: 'APP_IS_LOCKED' },
        w: { skipCause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' },
        z: deploy(1),
      }),
      b: { skipCause: 'ENV_IS_LOCKED' },
      d: { skipCause: 'ENV_HAS_NO_UPSTREAM' },
    };
    expect(planChanges(approved, current)).toEqual([
      'a/w: approved: not in the plan; now: skipped, APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
      'a/x: approved: deploy version 2; now: deploy version 3',
      'c: approved: 0 to deploy, 0 skipped; now: not in the plan',
      'd: approved: not in the plan; now: skipped, ENV_HAS_NO_UPSTREAM',
    ]);
    expect(planChanges(approved, approved)).toEqual([]);
  });
});
