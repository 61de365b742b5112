// Shared helpers of the git adapter tests: opening the adapter on a fixture, unwrapping
// Readable values, and looking at a repo with plain git (independent of the adapter).
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManifestRepository, type ManifestRepository } from '../../src/manifest/repository.js';
import type { Readable, Snapshot, Unreadable } from '../../src/planning/model.js';
import { GIT_ENV } from '../support/gitFixture.js';

const opened: ManifestRepository[] = [];
const tempDirs: string[] = [];

/** The adapter on a repo path; closed by closeAll(). */
export function openAdapter(path: string, branch = 'main'): ManifestRepository {
  const repo = createManifestRepository({ path, branch });
  opened.push(repo);
  return repo;
}

/** A temporary directory that is not a fixture repo; removed by closeAll(). */
export async function tempDir(prefix = 'trainyard-manifest-test-'): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(path);
  return path;
}

export async function closeAll(): Promise<void> {
  for (const repo of opened.splice(0)) repo.close();
  await Promise.all(tempDirs.splice(0).map((path) => rm(path, { recursive: true, force: true })));
}

export function ok<T>(readable: Readable<T>): T {
  if (!readable.ok) throw new Error(`expected a readable value, got ${readable.file}: ${readable.reason}`);
  return readable.value;
}

export function unreadable<T>(readable: Readable<T>): Unreadable {
  if (readable.ok) throw new Error(`expected an unreadable value, got ${JSON.stringify(readable.value)}`);
  return readable;
}

/** Plain git, output as bytes (for exact content comparisons). */
export function gitBytes(repoPath: string, args: string[]): Buffer {
  return execFileSync('git', ['-C', repoPath, ...args], { env: GIT_ENV });
}

/** Plain git, output as text, trimmed. */
export function gitText(repoPath: string, args: string[]): string {
  return gitBytes(repoPath, args).toString('utf8').trim();
}

/** A blob's bytes at a commit. */
export function blobBytes(repoPath: string, commit: string, path: string): Buffer {
  return gitBytes(repoPath, ['cat-file', 'blob', `${commit}:${path}`]);
}

/** Every file of a work tree (outside .git): path -> content, or `symlink -> target`. */
export function workTreeState(root: string): Map<string, string> {
  const state = new Map<string, string>();
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative))) {
      if (relative === '' && name === '.git') continue;
      const path = relative ? `${relative}/${name}` : name;
      const stats = lstatSync(join(root, path));
      if (stats.isSymbolicLink()) state.set(path, `symlink -> ${readlinkSync(join(root, path))}`);
      else if (stats.isDirectory()) walk(path);
      else state.set(path, readFileSync(join(root, path)).toString('base64'));
    }
  };
  walk('');
  return state;
}

/** A snapshot as JSON text (Maps as objects), to search it for data that must not be there. */
export function snapshotText(snapshot: Snapshot): string {
  return JSON.stringify(snapshot, (_key, value: unknown) =>
    value instanceof Map ? Object.fromEntries(value) : value,
  );
}

/** A plain long-lived `git cat-file --batch-check` (not the adapter's), to see what git itself answers. */
export function plainBatchCheck(repoPath: string): { ask(name: string): Promise<string>; close(): void } {
  const child = spawn('git', ['-C', repoPath, 'cat-file', '--batch-check'], { env: GIT_ENV });
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      waiting.shift()?.(line);
    }
  });
  return {
    ask: (name) =>
      new Promise((resolve) => {
        waiting.push((line) => resolve(line.split(' ')[0] ?? ''));
        child.stdin.write(`${name}\n`);
      }),
    close: () => child.stdin.end(),
  };
}

/** The id of a commit that changed something. */
export function committed(commitId: string | null): string {
  if (commitId === null) throw new Error('expected a commit');
  return commitId;
}
