// The retention rule (lifecycle.md "Release retention"), pure: which releases a commit that
// deploys removes, from the snapshot plus what the same commit writes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRepoError } from '../../src/domain/errors.js';
import {
  cleanupAfterDeployments,
  cleanupOfEveryApp,
  oldestKeptRelease,
  retainReleases,
} from '../../src/planning/retention.js';
import { buildSnapshot, deepFreeze, LATEST, type SnapshotSpec } from './snapshotBuilder.js';

/** Releases 1..n of an app, each with a manifest for `environments`. */
function releases(n: number, environments: readonly string[] = ['dev', 'prod']): Record<number, string[]> {
  return Object.fromEntries(Array.from({ length: n }, (_, index) => [index + 1, [...environments]]));
}

const snapshotOf = (spec: SnapshotSpec) => deepFreeze(buildSnapshot(spec));

describe('retainReleases (the rule on plain numbers)', () => {
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('keeps everything from the smallest deployed version up, and RELEASES_KEPT - 1 below it', () => {
    const outcome = retainReleases({ releases: range(1, 30), deployed: [25, 28], queued: new Set() }, 5);
    expect(outcome).toEqual({ removed: range(1, 20), oldestKept: 21 });
  });

  it('takes the newest release as d when the app is deployed nowhere', () => {
    expect(retainReleases({ releases: range(1, 30), deployed: [], queued: new Set() }, 5)).toEqual({
      removed: range(1, 25),
      oldestKept: 26,
    });
  });

  it('never removes a queued version', () => {
    const outcome = retainReleases({ releases: range(1, 30), deployed: [30], queued: new Set([3, 12]) }, 5);
    expect(outcome.removed).toEqual(range(1, 25).filter((version) => version !== 3 && version !== 12));
  });

  it('removes nothing while an app has RELEASES_KEPT releases or fewer, or d is low enough', () => {
    expect(retainReleases({ releases: range(1, 5), deployed: [], queued: new Set() }, 5).removed).toEqual([]);
    expect(retainReleases({ releases: range(1, 30), deployed: [5], queued: new Set() }, 5).removed).toEqual(
      [],
    );
    expect(retainReleases({ releases: range(1, 30), deployed: [6], queued: new Set() }, 5).removed).toEqual([
      1,
    ]);
  });

  it('counts releases, not numbers: gaps in the numbering are no releases', () => {
    const outcome = retainReleases(
      { releases: [2, 4, 8, 16, 32, 64, 128], deployed: [64], queued: new Set() },
      3,
    );
    expect(outcome).toEqual({ removed: [2, 4, 8], oldestKept: 16 });
  });

  it('agrees with the rule written out naively, on random inputs', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.integer({ min: 5, max: 30 }),
        (numbers, deployedPicks, queuedPicks, kept) => {
          const sorted = [...numbers].sort((a, b) => a - b);
          const pick = (index: number) => sorted[index % sorted.length] as number;
          const deployed = deployedPicks.map(pick);
          const queued = new Set(queuedPicks.map(pick));
          const d = deployed.length > 0 ? Math.min(...deployed) : (sorted.at(-1) as number);
          const below = sorted.filter((version) => version < d);
          const keptBelow = new Set(below.slice(Math.max(0, below.length - (kept - 1))));
          const expected = below.filter((version) => !keptBelow.has(version) && !queued.has(version));
          const { removed } = retainReleases({ releases: sorted, deployed, queued }, kept);
          expect(removed).toEqual(expected);
          // Whatever goes: nothing deployed, nothing queued, nothing at or above d.
          for (const version of removed) {
            expect(version).toBeLessThan(d);
            expect(queued.has(version)).toBe(false);
          }
        },
      ),
      { seed: 14, numRuns: 300 },
    );
  });
});

describe('cleanupAfterDeployments', () => {
  const WORLD: SnapshotSpec = {
    environments: {
      dev: { upstream: LATEST, apps: { web: { version: 30 }, api: { version: 8 } } },
      prod: {
        upstream: { environment: 'dev' },
        apps: { web: { version: 24, queued: 2 }, api: { version: 8 } },
      },
    },
    applications: {
      web: { releases: releases(30) },
      api: { releases: releases(8) },
      docs: { releases: releases(40) },
    },
  };

  it('judges the repo after the commit: the deployment replaces the version it deploys over', () => {
    const snapshot = snapshotOf(WORLD);
    const cleanup = cleanupAfterDeployments(
      snapshot,
      { deployed: [{ environment: 'prod', app: 'web', version: 30 }] },
      5,
    );
    // d = 30 (both environments), keep 26..30; prod's queued 2 was removed by the deployment.
    expect(cleanup.removed).toEqual(Array.from({ length: 25 }, (_, i) => ({ app: 'web', version: i + 1 })));
    expect(cleanup.changes[0]).toEqual({ kind: 'delete', path: 'applications/web/releases/1' });
    expect(cleanup.messageLines[0]).toBe('removed version 1 of app web as cleanup');
    expect(cleanup.messageLines).toHaveLength(25);
  });

  it('cleans each deployed app once, whatever the number of its deployments, and no other app', () => {
    const snapshot = snapshotOf(WORLD);
    const cleanup = cleanupAfterDeployments(
      snapshot,
      {
        deployed: [
          { environment: 'dev', app: 'web', version: 29 },
          { environment: 'prod', app: 'web', version: 29 },
          { environment: 'dev', app: 'api', version: 8 },
        ],
      },
      20,
    );
    // d = 29: keep 10..30; api has 8 releases; docs is not deployed by the commit.
    expect(cleanup.removed).toEqual(Array.from({ length: 9 }, (_, i) => ({ app: 'web', version: i + 1 })));
  });

  it('keeps a queued version the commit writes, and a queued version elsewhere', () => {
    const snapshot = snapshotOf(WORLD);
    const cleanup = cleanupAfterDeployments(
      snapshot,
      {
        deployed: [{ environment: 'dev', app: 'web', version: 30 }],
        queued: [{ environment: 'dev', app: 'web', version: 3 }],
      },
      5,
    );
    // prod still runs 24 (d), its queued 2 stays, and 3 is queued by the commit.
    expect(cleanup.removed.map(({ version }) => version)).toEqual([
      1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
  });

  it('leaves an app alone when its state somewhere cannot be read, or an environment is hidden', () => {
    const corrupt = snapshotOf({
      ...WORLD,
      environments: {
        ...WORLD.environments,
        qa: { upstream: LATEST, apps: { web: { version: 'corrupt' } } },
      },
    });
    const deployed = [{ environment: 'prod', app: 'web', version: 30 }];
    expect(cleanupAfterDeployments(corrupt, { deployed }, 5).removed).toEqual([]);
    const hidden = snapshotOf({
      ...WORLD,
      problems: [
        {
          file: 'environments/qa',
          reason: 'a file where a directory belongs',
          hides: { kind: 'environment', name: 'qa' },
        },
      ],
    });
    expect(cleanupAfterDeployments(hidden, { deployed }, 5).removed).toEqual([]);
  });

  it('makes nothing of a commit that deploys nothing', () => {
    expect(cleanupAfterDeployments(snapshotOf(WORLD), { deployed: [] }, 5)).toEqual({
      removed: [],
      changes: [],
      messageLines: [],
    });
  });
});

describe('oldestKeptRelease (RELEASE_TOO_OLD)', () => {
  it('counts the new release among the app releases', () => {
    const snapshot = snapshotOf({
      environments: { dev: { upstream: LATEST, apps: { web: { version: 30 } } } },
      applications: { web: { releases: releases(30) } },
    });
    // A release below the kept range that does not exist yet (3) is counted like the others.
    const missing = snapshotOf({
      environments: { dev: { upstream: LATEST, apps: { web: { version: 30 } } } },
      applications: {
        web: { releases: Object.fromEntries(Object.entries(releases(30)).filter(([v]) => v !== '3')) },
      },
    });
    expect(oldestKeptRelease(snapshot, 'web', { deployed: [] }, 5)).toBe(26);
    expect(
      oldestKeptRelease(missing, 'web', { deployed: [], created: [{ app: 'web', version: 3 }] }, 5),
    ).toBe(26);
    // The new release is deployed by the same commit (upstream.latest): it is d.
    expect(
      oldestKeptRelease(
        snapshot,
        'web',
        {
          deployed: [{ environment: 'dev', app: 'web', version: 31 }],
          created: [{ app: 'web', version: 31 }],
        },
        5,
      ),
    ).toBe(27);
  });
});

describe('cleanupOfEveryApp', () => {
  it('cleans every app as its next deployment would, and names corrupt data instead of guessing', () => {
    const spec: SnapshotSpec = {
      environments: { dev: { upstream: LATEST, apps: { web: { version: 12 } } } },
      applications: {
        web: { releases: releases(12) },
        docs: { releases: releases(7) },
        api: { releases: releases(4) },
      },
    };
    const cleanup = cleanupOfEveryApp(snapshotOf(spec), 5);
    expect(cleanup.removed).toEqual([
      { app: 'docs', version: 1 },
      { app: 'docs', version: 2 },
      { app: 'web', version: 1 },
      { app: 'web', version: 2 },
      { app: 'web', version: 3 },
      { app: 'web', version: 4 },
      { app: 'web', version: 5 },
      { app: 'web', version: 6 },
      { app: 'web', version: 7 },
    ]);
    const corrupt = snapshotOf({
      ...spec,
      environments: { dev: { upstream: LATEST, apps: { web: { version: 'corrupt' } } } },
    });
    expect(() => cleanupOfEveryApp(corrupt, 5)).toThrow(CorruptRepoError);
  });
});
