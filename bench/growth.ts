// npm run bench -- growth: a year of a manifest repo, scaled to run in minutes. The service (a
// child process over HTTP, as a user starts it) gets every week's releases and the week's trains,
// once with release retention (RELEASES_KEPT=20, the default) and once without it (1000: no app
// here gets that many releases). Then, on each repo: its size, a clone, a push and a cold prognosis.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gitOutput } from '../src/manifest/git.js';
import {
  machine,
  medianOf,
  ms,
  type RunningService,
  request,
  seconds,
  startService,
  stopService,
  timeIt,
  WORK,
} from './service.js';
import { appName, prodName } from './workload.js';

/**
 * One year, scaled (every write is a commit through the service): 20 apps (not 1,000) in 8
 * environments, 20 releases a week across them (about 52 per app in the year), then a train to
 * staging and one to the prod group.
 */
const GROWTH = { apps: 20, prodEnvironments: 6, weeks: 52, releasesPerWeek: 20, manifestBytes: 2048 };
const VARIANTS = [
  { name: 'with retention', releasesKept: 20 },
  { name: 'without retention', releasesKept: 1000 },
] as const;
const RUNS = 3;

interface GrowthResult {
  readonly name: string;
  readonly simulation: number;
  readonly writes: number;
  readonly commits: number;
  readonly releases: number;
  readonly files: number;
  readonly packKiB: number;
  readonly clone: number;
  readonly shallowClone: number;
  readonly lsTree: number;
  readonly push: number;
  readonly coldPrognosis: number;
}

export async function runGrowth(): Promise<void> {
  console.log(`machine: ${await machine()}; ${RUNS} runs of each measurement, medians`);
  console.log(
    `growth: ${GROWTH.apps} apps x ${GROWTH.prodEnvironments + 2} environments, ${GROWTH.weeks} weeks x ` +
      `${GROWTH.releasesPerWeek} releases, a train to staging and one to the prod group every week, ` +
      'prod-01 frozen one week in ten\n',
  );
  const results: GrowthResult[] = [];
  for (const variant of VARIANTS) results.push(await simulate(variant.name, variant.releasesKept));
  const rows: [string, (result: GrowthResult) => string][] = [
    ['simulated year (writes over HTTP)', (r) => `${seconds(r.simulation)} (${r.writes} writes)`],
    ['commits on the branch', (r) => `${r.commits}`],
    ['releases at the end', (r) => `${r.releases}`],
    ['files at the tip', (r) => `${r.files}`],
    ['repo size (objects packed, git gc)', (r) => `${(r.packKiB / 1024).toFixed(1)} MiB`],
    ['git clone --bare --no-local', (r) => ms(r.clone)],
    ['the same, --depth 1 (the tip only)', (r) => ms(r.shallowClone)],
    ['git ls-tree -r of the tip', (r) => ms(r.lsTree)],
    ['git push of one small commit', (r) => ms(r.push)],
    ['cold prognosis of the prod group', (r) => ms(r.coldPrognosis)],
  ];
  console.log(`${''.padEnd(40)} ${results.map((result) => result.name.padStart(20)).join(' ')}`);
  for (const [label, show] of rows) {
    console.log(`${label.padEnd(40)} ${results.map((result) => show(result).padStart(20)).join(' ')}`);
  }
}

async function simulate(name: string, releasesKept: number): Promise<GrowthResult> {
  const repo = join(WORK, `growth-${releasesKept}`);
  await rm(repo, { recursive: true, force: true });
  await mkdir(WORK, { recursive: true });
  const env = { RELEASES_KEPT: String(releasesKept), RATE_LIMIT_WRITES_PER_MINUTE: '0' };
  const random = mulberry32(14);
  const environments = [
    'dev',
    'staging',
    ...Array.from({ length: GROWTH.prodEnvironments }, (_, i) => prodName(i)),
  ];
  let writes = 0;
  const service = await startService(repo, env);
  const started = performance.now();
  try {
    const write = async (method: string, path: string, body?: unknown) => {
      writes++;
      const init =
        body instanceof FormData
          ? { body }
          : body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
      await request(method, `${service.url}${path}`, init);
    };
    await write('POST', '/api/environments/dev', { upstream: { latest: true } });
    await write('POST', '/api/environments/staging', { upstream: { environment: 'dev' } });
    for (const prod of environments.slice(2)) {
      await write('POST', `/api/environments/${prod}`, {
        upstream: { environment: 'staging' },
        environmentGroup: 'prod',
      });
    }
    const release = (app: string, week: number) => {
      const form = new FormData();
      form.set('application', app);
      form.set('team', `team-${(Number(app.slice(4)) % 5) + 1}`);
      form.set(
        'source_commit_id',
        `${week.toString(16)}${Math.floor(random() * 2 ** 32).toString(16)}`.padEnd(40, '0'),
      );
      for (const environment of environments)
        form.set(`manifests[${environment}]`, manifest(app, week, environment, random));
      return form;
    };
    for (let index = 0; index < GROWTH.apps; index++)
      await write('POST', '/api/release', release(appName(index), 0));
    for (let week = 1; week <= GROWTH.weeks; week++) {
      for (let count = 0; count < GROWTH.releasesPerWeek; count++) {
        await write('POST', '/api/release', release(appName(Math.floor(random() * GROWTH.apps)), week));
      }
      if (week % 10 === 1)
        await write('PUT', `/api/environments/${prodName(0)}/locks/freeze`, { message: 'freeze' });
      if (week % 10 === 2) await write('DELETE', `/api/environments/${prodName(0)}/locks/freeze`);
      await write('PUT', '/api/environments/staging/releasetrain');
      await write('PUT', '/api/environment-groups/prod/releasetrain');
    }
  } finally {
    await stopService(service);
  }
  const simulation = performance.now() - started;
  console.log(`${name}: a year in ${seconds(simulation)}`);
  return { name, simulation, writes, ...(await measureRepo(repo, env)) };
}

async function measureRepo(
  repo: string,
  env: Record<string, string>,
): Promise<Omit<GrowthResult, 'name' | 'simulation' | 'writes'>> {
  const git = async (args: string[], cwd = repo) => (await gitOutput(cwd, args)).toString('utf8');
  const commits = Number((await git(['rev-list', '--count', 'main'])).trim());
  const files = (await git(['ls-tree', '-r', '--name-only', 'main'])).split('\n').filter(Boolean);
  const releases = new Set(
    files.flatMap((file) => /^applications\/[^/]+\/releases\/\d+/.exec(file)?.[0] ?? []),
  );
  await git(['gc', '--quiet', '--prune=now']);
  const counted = await git(['count-objects', '-v']);
  const packKiB = Number(/size-pack: (\d+)/.exec(counted)?.[1] ?? Number.NaN);

  const clones: number[] = [];
  const clonePath = `${repo}-clone.git`;
  for (let run = 0; run < RUNS; run++) {
    await rm(clonePath, { recursive: true, force: true });
    clones.push(await timeIt(() => git(['clone', '--quiet', '--bare', '--no-local', repo, clonePath], WORK)));
  }
  // Pushes of one small commit each (a lock file), from that clone: git's own cost of a write.
  const pushes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const parent = (await git(['rev-parse', 'main'], clonePath)).trim();
    const stream = [
      'commit refs/heads/main',
      'committer Bench <bench@trainyard.invalid> 1795000100 +0000',
      'data 11',
      'bench push',
      `from ${parent}`,
      `M 100644 inline environments/${prodName(1)}/locks/push-${run}/message`,
      'data 4',
      'push',
      'done',
      '',
    ].join('\n');
    await gitOutput(clonePath, ['fast-import', '--quiet', '--done'], stream);
    pushes.push(await timeIt(() => git(['push', '--quiet', 'origin', 'main'], clonePath)));
  }
  await rm(clonePath, { recursive: true, force: true });
  // What the tip alone costs: a shallow clone (file:// so that --depth applies), and listing it.
  const shallow: number[] = [];
  const listings: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await rm(clonePath, { recursive: true, force: true });
    shallow.push(
      await timeIt(() =>
        git(['clone', '--quiet', '--bare', '--depth', '1', `file://${repo}`, clonePath], WORK),
      ),
    );
    listings.push(await timeIt(() => git(['ls-tree', '-r', 'main'])));
  }
  await rm(clonePath, { recursive: true, force: true });

  const prognoses: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const service: RunningService = await startService(repo, env);
    try {
      prognoses.push(
        await timeIt(() =>
          request('GET', `${service.url}/api/environment-groups/prod/releasetrain/prognosis`),
        ),
      );
    } finally {
      await stopService(service);
    }
  }
  return {
    commits,
    releases: releases.size,
    files: files.length,
    packKiB,
    clone: medianOf(clones),
    shallowClone: medianOf(shallow),
    lsTree: medianOf(listings),
    push: medianOf(pushes),
    coldPrognosis: medianOf(prognoses),
  };
}

/** A Deployment of about `manifestBytes`, different in every release (its image and a config hash). */
function manifest(app: string, week: number, environment: string, random: () => number): string {
  const head = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: { name: ${app}, labels: { environment: ${environment}, week: "${week}" } }`,
    `spec: { template: { metadata: { annotations: { config-hash: "${Math.floor(random() * 2 ** 32).toString(16)}" } },`,
    `  spec: { containers: [ { name: ${app}, image: "registry.example.com/${app}:${week}.${Math.floor(random() * 1000)}" } ] } } }`,
  ].join('\n');
  const padding: string[] = [];
  for (let line = 0; head.length + padding.join('\n').length < GROWTH.manifestBytes; line++) {
    padding.push(`# env ${environment} setting-${line}: value-${line}`);
  }
  return `${head}\n${padding.join('\n')}\n`;
}

/** A small seeded generator: every run simulates the same year. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
