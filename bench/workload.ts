// The benchmark workload ("Kuberpult scale" and smaller sizes), written straight into a bare
// repo with one `git fast-import` stream: dev (latest) -> staging -> a group `prod`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnvironment, gitOutput } from '../src/manifest/git.js';

export interface WorkloadSize {
  readonly name: string;
  readonly apps: number;
  /** Environments of the group `prod` (dev and staging come in addition). */
  readonly prodEnvironments: number;
  readonly releasesPerApp: number;
  readonly teams: number;
  /**
   * Releases below the regular ones (numbered first), as a repo that grew without retention has
   * them: each app's share the first regular release's manifests (one tree), so that hundreds per
   * app are written in seconds. Their number, not their content, is what cleaning them costs.
   */
  readonly oldReleases?: number;
}

export const SIZES: Record<string, WorkloadSize> = {
  small: { name: 'small', apps: 50, prodEnvironments: 6, releasesPerApp: 10, teams: 7 },
  medium: { name: 'medium', apps: 500, prodEnvironments: 6, releasesPerApp: 10, teams: 7 },
  kuberpult: { name: 'kuberpult', apps: 1000, prodEnvironments: 30, releasesPerApp: 10, teams: 7 },
};

/**
 * 3,000 apps in 60 environments (issue 18): where one process stops being enough. Long to generate
 * and to run: only when named (`npm run bench -- large`).
 */
export const LARGE_SIZE: WorkloadSize = {
  name: 'large',
  apps: 3000,
  prodEnvironments: 58,
  releasesPerApp: 10,
  teams: 7,
};

/** Kuberpult scale after years without retention: 200 old releases per app below the 10 regular ones. */
export const UPGRADE_SIZE: WorkloadSize = {
  ...(SIZES.kuberpult as WorkloadSize),
  name: 'upgrade',
  oldReleases: 200,
};

const TIME = 1_795_000_000;
const IDENTITY = 'Bench <bench@trainyard.invalid>';

export function prodName(index: number): string {
  return `prod-${String(index + 1).padStart(2, '0')}`;
}

export function appName(index: number): string {
  return `app-${String(index + 1).padStart(4, '0')}`;
}

/** Where a generated workload's pristine copy says what it holds, so that the next run reuses it. */
const CACHE_FILE = 'trainyard-bench-workload.json';

/**
 * The workload at `path`, from the pristine copy at `${path}-base` when that was generated from the
 * same size by the same generator (the Kuberpult scale takes a minute to write, the large one
 * many); otherwise generated anew, and the copy made. Returns the workload's commit id.
 */
export async function cachedWorkload(path: string, size: WorkloadSize): Promise<string> {
  const generator = createHash('sha256')
    .update(await readFile(new URL(import.meta.url)))
    .update(JSON.stringify(size))
    .digest('hex');
  const base = `${path}-base`;
  const cached = await readFile(join(base, CACHE_FILE), 'utf8').then(
    (text) => JSON.parse(text) as { generator: string; commit: string },
    () => undefined,
  );
  if (cached?.generator === generator) {
    await rm(path, { recursive: true, force: true });
    await cp(base, path, { recursive: true });
    return cached.commit;
  }
  const commit = await generateWorkload(path, size);
  await rm(base, { recursive: true, force: true });
  await cp(path, base, { recursive: true });
  await writeFile(join(base, CACHE_FILE), JSON.stringify({ generator, commit }));
  return commit;
}

/** Writes the workload as one commit on main of a new bare repo at `path`; returns its id. */
export async function generateWorkload(path: string, size: WorkloadSize): Promise<string> {
  await rm(path, { recursive: true, force: true });
  await mkdir(path, { recursive: true });
  await gitOutput(path, ['init', '--quiet', '--bare', '--initial-branch=main']);
  await gitOutput(path, ['config', 'gc.auto', '0']);

  const child = spawn('git', ['-C', path, 'fast-import', '--quiet', '--done'], {
    env: gitEnvironment(),
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  let pending: string[] = [];
  let pendingLength = 0;
  const write = async (text: string) => {
    pending.push(text);
    pendingLength += text.length;
    if (pendingLength > 1 << 20) await flush();
  };
  const flush = async () => {
    const chunk = pending.join('');
    pending = [];
    pendingLength = 0;
    if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  };
  const file = (path: string, content: string) =>
    write(`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  const symlink = (path: string, target: string) =>
    write(`M 120000 inline ${path}\ndata ${Buffer.byteLength(target)}\n${target}\n`);
  const lock = async (dir: string, message: string) => {
    await file(`${dir}/message`, message);
    await file(`${dir}/created_by_name`, 'Bench');
    await file(`${dir}/created_by_email`, 'bench@trainyard.invalid');
    await file(`${dir}/created_at`, '2026-11-20T09:00:00Z');
  };

  const message = `Benchmark workload ${size.name}\n`;
  await write(
    `commit refs/heads/main\nauthor ${IDENTITY} ${TIME} +0000\ncommitter ${IDENTITY} ${TIME} +0000\n`,
  );
  await write(`data ${Buffer.byteLength(message)}\n${message}`);

  const prod = Array.from({ length: size.prodEnvironments }, (_, index) => prodName(index));
  const environments = ['dev', 'staging', ...prod];
  const configs: Record<string, object> = {
    dev: { upstream: { latest: true } },
    staging: { upstream: { environment: 'dev' } },
  };
  for (const name of prod) configs[name] = { upstream: { environment: 'staging' }, environmentGroup: 'prod' };
  for (const name of environments) {
    await file(`environments/${name}/config.json`, `${JSON.stringify(configs[name], null, 2)}\n`);
  }

  const old = size.oldReleases ?? 0;
  const latest = old + size.releasesPerApp;
  const prodVersion = Math.max(old + 1, latest - 2);
  for (let index = 0; index < size.apps; index++) {
    const app = appName(index);
    await file(`applications/${app}/team`, `team-${(index % size.teams) + 1}`);
    for (let version = old + 1; version <= latest; version++) {
      const release = `applications/${app}/releases/${version}`;
      await file(`${release}/created_at`, '2026-11-01T00:00:00Z');
      await file(`${release}/source_commit_id`, `${index}${version}`.padEnd(40, '0'));
      for (const environment of environments) {
        await file(
          `${release}/environments/${environment}/manifests.yaml`,
          manifest(app, version, environment),
        );
      }
    }
    for (const environment of environments) {
      const version = environment.startsWith('prod') ? prodVersion : latest;
      const path = `environments/${environment}/applications/${app}`;
      await symlink(`${path}/version`, `../../../../applications/${app}/releases/${version}`);
      await file(`${path}/manifests/manifests.yaml`, manifest(app, version, environment));
      await file(`${path}/deployed_by`, 'Bench');
      await file(`${path}/deployed_by_email`, 'bench@trainyard.invalid');
      await file(`${path}/deployed_at_utc`, '2026-11-01T00:00:00.000Z');
    }
  }
  // Two prod environments locked, every 20th app locked in one prod environment, one team locked in another.
  await lock(`environments/${prod[0]}/locks/freeze`, 'environment lock');
  if (prod.length > 1) await lock(`environments/${prod[1]}/locks/freeze`, 'environment lock');
  const appLockEnvironment = prod[Math.min(2, prod.length - 1)];
  for (let index = 0; index < size.apps; index += 20) {
    await lock(`environments/${appLockEnvironment}/applications/${appName(index)}/locks/hold`, 'app lock');
  }
  await lock(`environments/${prod[Math.min(3, prod.length - 1)]}/teams/team-1/locks/audit`, 'team lock');

  await write('\ndone\n');
  await flush();
  child.stdin.end();
  const code = await closed;
  if (code !== 0) throw new Error(`fast-import failed with ${code}`);
  const commit = (await gitOutput(path, ['rev-parse', 'refs/heads/main'])).toString('utf8').trim();
  return old > 0 ? addOldReleases(path, commit, size) : commit;
}

/** A second commit with `size.oldReleases` releases per app below the regular ones; returns its id. */
async function addOldReleases(path: string, parent: string, size: WorkloadSize): Promise<string> {
  const old = size.oldReleases ?? 0;
  // The manifests of each app's first regular release, as a tree every old release shares.
  const listed = (await gitOutput(path, ['ls-tree', '-d', '-r', parent, 'applications'])).toString('utf8');
  const sharedTree = new Map<string, string>();
  for (const line of listed.split('\n')) {
    const match = new RegExp(
      `^040000 tree ([0-9a-f]+)\tapplications/([^/]+)/releases/${old + 1}/environments$`,
    ).exec(line);
    if (match) sharedTree.set(match[2] as string, match[1] as string);
  }
  const lines = [
    'blob',
    'mark :1',
    'data 20',
    '2025-11-01T00:00:00Z',
    `commit refs/heads/main`,
    `author ${IDENTITY} ${TIME} +0000`,
    `committer ${IDENTITY} ${TIME} +0000`,
    'data 12',
    'old releases',
    `from ${parent}`,
  ];
  for (let index = 0; index < size.apps; index++) {
    const app = appName(index);
    const tree = sharedTree.get(app);
    if (!tree) throw new Error(`no environments tree for ${app}`);
    for (let version = 1; version <= old; version++) {
      const release = `applications/${app}/releases/${version}`;
      const commitId = `${index}f${version}`.padEnd(40, '0');
      lines.push(`M 040000 ${tree} ${release}/environments`, `M 100644 :1 ${release}/created_at`);
      lines.push(`M 100644 inline ${release}/source_commit_id`, 'data 40', commitId);
    }
  }
  lines.push('done', '');
  await gitOutput(path, ['fast-import', '--quiet', '--done'], lines.join('\n'));
  return (await gitOutput(path, ['rev-parse', 'refs/heads/main'])).toString('utf8').trim();
}

function manifest(app: string, version: number, environment: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: { name: ${app}, labels: { environment: ${environment} } }`,
    `spec: { template: { spec: { containers: [ { name: ${app}, image: 'registry.example.com/${app}:${version}.0.0' } ] } } }`,
    '',
  ].join('\n');
}
