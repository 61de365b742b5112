// The text for people, from the prognosis of a train over `prod` that meets every skip cause.
import { describe, expect, it } from 'vitest';
import { formatResponse } from '../../src/cli/format.js';
import type { TrainCommand } from '../../src/cli/subcommands.js';
import { PROD_PROGNOSIS } from '../http/world.js';

const TRAIN: TrainCommand = { kind: 'release-train', target: 'prod', group: true };

describe('formatResponse', () => {
  it('lists every environment in name order with what is deployed and skipped, then the commit', () => {
    expect(
      formatResponse(TRAIN, {
        target: 'prod',
        commitId: 'abc123',
        gitTag: 'v1',
        envsPrognoses: PROD_PROGNOSIS,
      }),
    ).toEqual([
      "Release train to environment group 'prod':",
      'prod-au: skipped, UPSTREAM_ENV_CONFIG_NOT_FOUND',
      'prod-br: skipped, ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV',
      'prod-ca: 1 to deploy, 5 skipped',
      '  billing: skipped, TEAM_IS_LOCKED',
      '    team lock audit: "audit week" by Bo',
      '  cart: skipped, APP_DOES_NOT_EXIST_IN_ENV',
      '  checkout: deploy version 2',
      '  docs: skipped, APP_IS_LOCKED',
      '    app lock docs-freeze: "rewriting" by Ana https://ci.example.com/1',
      '  legacy: skipped, APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
      '  search: skipped, APP_ALREADY_IN_UPSTREAM_VERSION',
      'prod-de: skipped, ENV_IS_LOCKED',
      '    env lock xmas: "code freeze" by Ana',
      'prod-jp: skipped, ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV',
      'prod-us: skipped, ENV_HAS_NO_UPSTREAM',
      'commit: abc123',
      'tag: v1',
    ]);
  });

  it('names the next deploy window of an environment outside its windows, and the bounds of timed locks', () => {
    const lock = (lockId: string, bounds: object) => ({
      lockId,
      message: 'freeze',
      createdBy: { name: 'Ana', email: 'ana@example.com' },
      ...bounds,
    });
    expect(
      formatResponse(
        { ...TRAIN, kind: 'prognosis' },
        {
          envsPrognoses: {
            'prod-de': {
              skipCause: 'ENV_OUTSIDE_DEPLOY_WINDOW',
              nextWindowStart: '2026-11-24T08:00:00.000Z',
            },
            'prod-fr': {
              skipCause: 'ENV_IS_LOCKED',
              envLocks: {
                xmas: lock('xmas', { validFrom: '2026-12-20T00:00:00Z', validUntil: '2027-01-02T00:00:00Z' }),
              },
            },
            'prod-us': {
              skipCause: 'ENV_IS_LOCKED',
              envLocks: { incident: lock('incident', { validUntil: '2026-11-27T00:00:00Z' }) },
            },
          },
        },
      ),
    ).toEqual([
      "Prognosis of a release train to environment group 'prod':",
      'prod-de: skipped, ENV_OUTSIDE_DEPLOY_WINDOW (the next deploy window opens at 2026-11-24T08:00:00.000Z)',
      'prod-fr: skipped, ENV_IS_LOCKED',
      '    env lock xmas: "freeze" by Ana from 2026-12-20T00:00:00Z until 2027-01-02T00:00:00Z',
      'prod-us: skipped, ENV_IS_LOCKED',
      '    env lock incident: "freeze" by Ana until 2026-11-27T00:00:00Z',
      'prognosis only: nothing was written',
    ]);
  });

  it('says when a train wrote nothing, and that a prognosis never writes', () => {
    const empty = { envsPrognoses: { dev: { appsPrognoses: { prognoses: {} } } } };
    expect(
      formatResponse({ ...TRAIN, group: false, target: 'dev', team: 'shop' }, { ...empty, commitId: null }),
    ).toEqual([
      "Release train to environment 'dev' (team shop):",
      'dev: 0 to deploy, 0 skipped',
      'nothing to deploy, no commit',
    ]);
    expect(formatResponse({ ...TRAIN, kind: 'prognosis' }, {})).toEqual([
      "Prognosis of a release train to environment group 'prod':",
      '  (no environments)',
      'prognosis only: nothing was written',
    ]);
  });

  it('shows each manifest diff under its app: unchanged, cut, or not shown', () => {
    const diff = '--- m\n+++ m\n@@ -1,1 +1,1 @@\n-a\n+b\n';
    const apps = {
      changed: { deployedVersion: { version: 2 }, manifestDiff: diff },
      cut: { deployedVersion: { version: 2 }, manifestDiff: diff, manifestDiffTruncated: true as const },
      same: { deployedVersion: { version: 2 }, manifestDiff: '' },
      unshown: { deployedVersion: { version: 2 }, manifestDiff: '', manifestDiffTruncated: true as const },
    };
    const bounds =
      "over the server's bounds of 64 KiB per diff, 4 MiB per answer, 1 MiB per manifest; ask for one environment or team)";
    expect(
      formatResponse(
        { ...TRAIN, kind: 'prognosis', diff: true },
        { envsPrognoses: { qa: { appsPrognoses: { prognoses: apps } } } },
        'f'.repeat(64),
      ),
    ).toEqual([
      "Prognosis of a release train to environment group 'prod':",
      'qa: 4 to deploy, 0 skipped',
      '  changed: deploy version 2',
      ...['--- m', '+++ m', '@@ -1,1 +1,1 @@', '-a', '+b'].map((line) => `    ${line}`),
      '  cut: deploy version 2',
      ...['--- m', '+++ m', '@@ -1,1 +1,1 @@', '-a', '+b'].map((line) => `    ${line}`),
      `    (diff cut: ${bounds}`,
      '  same: deploy version 2',
      '    (the manifest stays the same)',
      '  unshown: deploy version 2',
      `    (diff not shown: ${bounds}`,
      `plan: ${'f'.repeat(64)}`,
      'prognosis only: nothing was written',
    ]);
  });
});
