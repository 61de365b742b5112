// An app over a fixture repo, talked to through Fastify's inject.
import { afterAll, afterEach } from 'vitest';
import { type App, type AppDependencies, buildApp } from '../../src/app.js';
import { createManifestRepository, type ManifestRepository } from '../../src/manifest/repository.js';
import { createFixtureRepo, type FixtureFiles, type FixtureRepo, type SavedRefs } from './gitFixture.js';

export const FIXED_TIME = new Date('2026-11-26T10:00:00.000Z');

export interface Harness {
  readonly app: App;
  readonly fixture: FixtureRepo;
  readonly repo: ManifestRepository;
  close(): Promise<void>;
}

/** `options`: more of buildApp's dependencies (authentication, permissions, limits). */
export async function startHarness(
  files: FixtureFiles,
  options: Omit<AppDependencies, 'repo'> = {},
): Promise<Harness> {
  const fixture = await createFixtureRepo(files);
  const repo = createManifestRepository({ path: fixture.path, branch: 'main' });
  // What was made is undone when a later step fails (the fixture goes in the file's afterAll).
  const app = await repo
    .open()
    .then(() => buildApp({ repo, clock: () => FIXED_TIME, ...options }))
    .catch((error: unknown) => {
      repo.close();
      throw error;
    });
  return {
    app,
    fixture,
    repo,
    async close() {
      await app.close();
      repo.close();
      await fixture.cleanup();
    },
  };
}

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * A `start(files)` for one test file: each test's harness is closed after it. Call it at the top
 * level of the file (it registers an afterEach hook).
 */
export function harnessPerTest(): (
  files: FixtureFiles,
  options?: Omit<AppDependencies, 'repo'>,
) => Promise<Harness> {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (files, options) => {
    current = await startHarness(files, options);
    return current;
  };
}

/**
 * A `start(files)` for the tests of one file that share harnesses: the first test that starts a
 * world (these files) starts its harness, and a later test that starts the same world gets that
 * harness back with every ref put back where it was after the start (one ref transaction: the
 * branch, its tags, anything a test added; the work tree too when the test committed in it). So
 * each test starts from the same commit as on a fresh harness, without a new repo, app and git
 * processes of its own; that the app remembers commits of earlier tests must not change its
 * answers. A start with more dependencies (`options`) gets a harness of its own, closed after its
 * test. Every harness is closed in the file's afterAll. Call it at the top level of the file.
 *
 * Only for tests that change the repository through the app or through refs: a test that changes
 * files in .git (objects, config, hooks, lock files) or counts what the app did (metrics) takes
 * harnessPerTest.
 */
export function harnessPerWorld(): (
  files: FixtureFiles,
  options?: Omit<AppDependencies, 'repo'>,
) => Promise<Harness> {
  const shared = new Map<string, Promise<{ harness: Harness; refs: SavedRefs }>>();
  const perTest = harnessPerTest();
  afterAll(async () => {
    const started = await Promise.allSettled(shared.values());
    shared.clear();
    for (const result of started) if (result.status === 'fulfilled') await result.value.harness.close();
  });
  return async (files, options) => {
    if (options !== undefined && Object.keys(options).length > 0) return perTest(files, options);
    const key = JSON.stringify(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const existing = shared.get(key);
    if (existing !== undefined) {
      const { harness, refs } = await existing;
      harness.fixture.restoreRefs(refs);
      return harness;
    }
    const starting = startHarness(files).then((harness) => ({ harness, refs: harness.fixture.saveRefs() }));
    shared.set(key, starting);
    return (await starting).harness;
  };
}
