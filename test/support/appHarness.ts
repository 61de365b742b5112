// An app over a fixture repo, talked to through Fastify's inject.
import { afterEach } from 'vitest';
import { type App, type AppDependencies, buildApp } from '../../src/app.js';
import { createManifestRepository, type ManifestRepository } from '../../src/manifest/repository.js';
import { createFixtureRepo, type FixtureFiles, type FixtureRepo } from './gitFixture.js';

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
