// npm run bench [-- size ...]: generates each workload, starts the service as a user would (a
// child process over HTTP), and times it against git itself on the same repo in the same run,
// so that machine noise cancels out of the ratios. Exits non-zero when the Kuberpult-scale
// workload misses a target ratio. Sizes: small, medium, kuberpult (default: all three), and
// large (3,000 apps x 60 environments, only when named). `only=writes,remote` runs only those
// parts (core, writes, first, diffs, pages, remote) of each size; `runs=1` one run instead of three.
// `npm run bench -- pages`: only the web UI's pages in Chromium at Kuberpult scale (`kuberpult only=pages`).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../scripts/chromium.js';
import { gitOutput } from '../src/manifest/git.js';
import { runGrowth } from './growth.js';
import {
  copyRepo,
  machine,
  medianOf,
  ms,
  peakRssMiB,
  type RunningService,
  request,
  seconds,
  startService,
  timeIt,
  WORK,
} from './service.js';
import { runUpgrade } from './upgrade.js';
import { cachedWorkload, LARGE_SIZE, SIZES, type WorkloadSize } from './workload.js';
import { measureFirstRequests, measureWrites } from './writes.js';

/** Runs per size, medians taken (`runs=1` for a quick look, e.g. at the large size). */
let RUNS = 3;
/** Issue 16: the overview and the `prod` group's train page complete in Chromium within this. */
const PAGE_TARGET_MS = 5000;
/** The web UI's pages measured, and how often each is loaded after the first (warm) load. */
const PAGES = ['/ui/', '/ui/trains/prod'] as const;
/** Measured too, without a target: one environment's own train page (1,000 rows), and the locks. */
const MORE_PAGES = ['/ui/trains/prod-03', '/ui/locks'] as const;
const PAGE_LOADS = 3;

/** The targets of issues 4 and 18, as ratios against git on the same commit. */
const TARGETS = {
  coldPrognosis: 1.0,
  warmPrognosis: 0.2,
  prognosisAfterTrain: 0.2,
  prognosisAfterOutsideCommit: 0.2,
  /** Against the distinct-blob fast-import floor. */
  train: 1.5,
  /** A lock write on an idle service against its own git floor. */
  lockWrite: 2,
  /** 20 concurrent writers: at least this many writes a second, p99 under this. */
  writesPerSecond: 20,
  writesP99Ms: 2000,
  peakRssMiB: 300,
  /** A group train in remote mode against the local train plus `git push` of the same commit. */
  remoteTrain: 1.3,
};
/** The parts of a size's run, for `only=`. */
const PARTS = ['core', 'writes', 'first', 'diffs', 'pages', 'remote'] as const;

interface RunResult {
  coldPrognosis: number;
  warmPrognosis: number;
  train: number;
  prognosisAfterTrain: number;
  prognosisAfterOutsideCommit: number;
  deployments: number;
  lsTree: number;
  fastImport: number;
  peakRssMiB: number;
}

async function main(): Promise<void> {
  const given = process.argv.slice(2).filter((arg) => arg !== '--');
  // `pages`: a name for the web UI's part alone at Kuberpult scale.
  const args = given.flatMap((arg) => (arg === 'pages' ? ['kuberpult', 'only=pages'] : [arg]));
  // The long ones run only when named: `npm run bench -- growth`, `npm run bench -- upgrade`.
  if (args.includes('growth')) await runGrowth();
  if (args.includes('upgrade')) await runUpgrade();
  const runsArgument = args.find((arg) => arg.startsWith('runs='));
  if (runsArgument) RUNS = Math.max(1, Number(runsArgument.slice('runs='.length)) || 1);
  const onlyArgument = args.find((arg) => arg.startsWith('only='));
  const parts = new Set(onlyArgument ? onlyArgument.slice('only='.length).split(',') : PARTS);
  for (const part of parts) {
    if (!(PARTS as readonly string[]).includes(part))
      throw new Error(`unknown part ${part}; parts: ${PARTS.join(', ')}`);
  }
  const names = args.filter(
    (arg) => arg !== 'growth' && arg !== 'upgrade' && arg !== onlyArgument && arg !== runsArgument,
  );
  if (names.length === 0 && args.length > 0 && !onlyArgument && !runsArgument) return;
  const known: Record<string, WorkloadSize> = { ...SIZES, large: LARGE_SIZE };
  const sizes = (names.length > 0 ? names : Object.keys(SIZES)).map((name) => {
    const size = known[name];
    if (!size) throw new Error(`unknown size ${name}; sizes: ${Object.keys(known).join(', ')}`);
    return size;
  });
  console.log(`machine: ${await machine()}; ${RUNS} runs per size, medians\n`);
  let missed = false;
  for (const size of sizes) {
    const results: RunResult[] = [];
    const repo = join(WORK, size.name);
    const started = performance.now();
    const base = await cachedWorkload(repo, size);
    const entries =
      (await gitOutput(repo, ['ls-tree', '-r', '--name-only', base])).toString().split('\n').length - 1;
    console.log(
      `${size.name}: ${size.apps} apps x ${size.prodEnvironments + 2} environments x ${size.releasesPerApp} releases, ` +
        `${entries} files, generated (or taken from .bench) in ${seconds(performance.now() - started)}; load ${await loadAverage()}`,
    );
    const enforced = size.name === 'kuberpult';
    const check = (ok: boolean) => {
      if (enforced && !ok) missed = true;
      return enforced ? (ok ? 'ok' : 'MISSED') : 'not a target at this size';
    };
    if (parts.has('core')) {
      for (let run = 0; run < RUNS; run++) {
        await gitOutput(repo, ['update-ref', 'refs/heads/main', base]);
        results.push(await measure(repo, base));
      }
      const median = (key: keyof RunResult) => medianOf(results.map((result) => result[key]));
      const lsTree = median('lsTree');
      const rows: [string, number, number, number | undefined][] = [
        [
          'cold prognosis (first after start)',
          median('coldPrognosis'),
          median('coldPrognosis') / lsTree,
          TARGETS.coldPrognosis,
        ],
        [
          'warm prognosis (unchanged tip)',
          median('warmPrognosis'),
          median('warmPrognosis') / lsTree,
          TARGETS.warmPrognosis,
        ],
        [
          `group train (${median('deployments')} deployments)`,
          median('train'),
          median('train') / median('fastImport'),
          TARGETS.train,
        ],
        [
          'prognosis after the train',
          median('prognosisAfterTrain'),
          median('prognosisAfterTrain') / lsTree,
          TARGETS.prognosisAfterTrain,
        ],
        [
          'prognosis after an outside commit',
          median('prognosisAfterOutsideCommit'),
          median('prognosisAfterOutsideCommit') / lsTree,
          TARGETS.prognosisAfterOutsideCommit,
        ],
      ];
      console.log(
        `  git ls-tree -r: ${ms(lsTree)}; git fast-import of the train's tree change (distinct blobs once, new trees, into a copy taken before the train): ${ms(median('fastImport'))}`,
      );
      for (const [label, value, ratio, target] of rows) {
        const against = label.startsWith('group train') ? 'fast-import' : 'ls-tree';
        console.log(
          `  ${label.padEnd(44)} ${ms(value).padStart(9)}  ${ratio.toFixed(2).padStart(6)}x ${against}` +
            (target !== undefined ? `  (target <= ${target}x: ${check(ratio <= target)})` : ''),
        );
      }
      const rss = median('peakRssMiB');
      console.log(
        `  peak RSS of the service: ${rss.toFixed(0)} MiB  (target <= ${TARGETS.peakRssMiB} MiB: ${check(rss <= TARGETS.peakRssMiB)})`,
      );
      console.log(`  load after the core runs: ${await loadAverage()}`);
    }
    if (parts.has('writes')) {
      await gitOutput(repo, ['update-ref', 'refs/heads/main', base]);
      const writes = await measureWrites(repo);
      const ratio = writes.lockWrite / writes.lockFloor;
      console.log(
        `  git floor of a lock write (fast-import + update-ref): ${ms(writes.lockFloor)}; ` +
          `a lock write on an idle service: ${ms(writes.lockWrite)} ${ratio.toFixed(2)}x ` +
          `(target <= ${TARGETS.lockWrite}x: ${check(ratio <= TARGETS.lockWrite)})`,
      );
      const { concurrent, mixed } = writes;
      const concurrentOk =
        concurrent.perSecond >= TARGETS.writesPerSecond && concurrent.p99 < TARGETS.writesP99Ms;
      console.log(
        `  20 concurrent writers, ${concurrent.writes} lock writes: ${concurrent.perSecond.toFixed(1)} writes/s, ` +
          `p50 ${ms(concurrent.p50)}, p99 ${ms(concurrent.p99)} ` +
          `(target >= ${TARGETS.writesPerSecond}/s, p99 < ${TARGETS.writesP99Ms} ms: ${check(concurrentOk)})`,
      );
      console.log(
        `  the same with group trains of prod one after another (${mixed.trains} trains, the longest ${ms(mixed.trainMs)}): ` +
          `${mixed.perSecond.toFixed(1)} writes/s, p50 ${ms(mixed.p50)}, p99 ${ms(mixed.p99)}; ` +
          `peak RSS ${writes.peakRssMiB.toFixed(0)} MiB; load ${await loadAverage()}`,
      );
    }
    if (parts.has('first')) {
      await gitOutput(repo, ['update-ref', 'refs/heads/main', base]);
      const first = await measureFirstRequests(repo);
      const shared = first.eightObjects <= first.oneObjects;
      console.log(
        `  first prognosis after start: ${ms(first.one)}, ${first.oneObjects} git objects read; eight at once: ` +
          `${ms(first.eight)} for all, ${first.eightObjects} objects (one cold read: ${check(shared)})`,
      );
    }
    if (parts.has('diffs')) {
      const diffRuns: DiffResult[] = [];
      for (let run = 0; run < RUNS; run++) {
        await gitOutput(repo, ['update-ref', 'refs/heads/main', base]);
        diffRuns.push(await measureDiffs(repo));
      }
      const diffMedian = (key: keyof DiffResult) => medianOf(diffRuns.map((result) => result[key]));
      console.log(
        `  prognosis with ?diff=true (after a plain one): ${ms(diffMedian('diffPrognosis'))}, plain ${ms(diffMedian('plainPrognosis'))}; ` +
          `answer ${diffMedian('diffMiB').toFixed(1)} MiB (plain ${diffMedian('plainMiB').toFixed(1)} MiB), ` +
          `${diffMedian('diffs')} diffs, ${diffMedian('cut')} cut; peak RSS ${diffMedian('peakRssMiB').toFixed(0)} MiB`,
      );
    }
    if (parts.has('pages')) {
      await gitOutput(repo, ['update-ref', 'refs/heads/main', base]);
      if (!(await reportPages(repo, enforced))) missed = true;
    }
    if (parts.has('remote')) {
      const remoteRuns: Awaited<ReturnType<typeof measureRemote>>[] = [];
      for (let run = 0; run < RUNS; run++) {
        await gitOutput(repo, ['update-ref', 'refs/heads/main', base]);
        remoteRuns.push(await measureRemote(repo, base));
      }
      const median = (key: keyof (typeof remoteRuns)[number]) =>
        medianOf(remoteRuns.map((result) => result[key]));
      // Like with like: both trains are the first request of a service just started (the remote
      // one clones at start), not the core runs' train, which follows a prognosis.
      const floor = median('localTrain') + median('push');
      const ratio = median('train') / floor;
      console.log(
        `  with the repo as a remote (file://): first clone at start ${ms(median('clone'))}, ` +
          `group train ${ms(median('train'))} (fetch, plan, commit, push), next train ${ms(median('nothingTrain'))} (nothing to deploy); ` +
          `local train ${ms(median('localTrain'))} (also the first request after start) + git push of the same commit ${ms(median('push'))}: ` +
          `${ratio.toFixed(2)}x (target <= ${TARGETS.remoteTrain}x: ${check(ratio <= TARGETS.remoteTrain)})`,
      );
    }
    console.log(`  load at the end: ${await loadAverage()}\n`);
  }
  if (missed) {
    console.log('A target was missed.');
    process.exitCode = 1;
  }
}

async function measure(repo: string, base: string): Promise<RunResult> {
  const lsTree = await timeIt(() => gitOutput(repo, ['ls-tree', '-r', base]));
  const service = await startService(repo);
  try {
    const prognosisUrl = `${service.url}/api/environment-groups/prod/releasetrain/prognosis`;
    const coldPrognosis = await timeIt(() => request('GET', prognosisUrl));
    const warm: number[] = [];
    for (let index = 0; index < 5; index++) warm.push(await timeIt(() => request('GET', prognosisUrl)));
    let trainBody:
      | { commitId: string; envsPrognoses: Record<string, { appsPrognoses?: { prognoses: object } }> }
      | undefined;
    const train = await timeIt(async () => {
      trainBody = JSON.parse(await request('PUT', `${service.url}/api/environment-groups/prod/releasetrain`));
    });
    if (!trainBody?.commitId) throw new Error('the train made no commit');
    const deployments = Object.values(trainBody.envsPrognoses)
      .flatMap((environment) => Object.values(environment.appsPrognoses?.prognoses ?? {}))
      .filter((app) => 'deployedVersion' in app).length;
    const prognosisAfterTrain = await timeIt(() => request('GET', prognosisUrl));
    await outsideCommit(repo, trainBody.commitId);
    const prognosisAfterOutsideCommit = await timeIt(() => request('GET', prognosisUrl));
    const fastImport = await fastImportFloor(repo, base, trainBody.commitId);
    return {
      coldPrognosis,
      warmPrognosis: medianOf(warm),
      train,
      prognosisAfterTrain,
      prognosisAfterOutsideCommit,
      deployments,
      lsTree,
      fastImport,
      peakRssMiB: await peakRssMiB(service.child),
    };
  } finally {
    service.child.kill('SIGTERM');
    await new Promise((done) => service.child.once('exit', done));
  }
}

interface DiffResult {
  plainPrognosis: number;
  diffPrognosis: number;
  plainMiB: number;
  diffMiB: number;
  diffs: number;
  cut: number;
  peakRssMiB: number;
}

/**
 * Manifest diffs (plans.md), not a target: a fresh service, a plain prognosis of the group (reads
 * the snapshot and the release manifests), then the same with ?diff=true (reads every deployed
 * and release manifest of the plan's deployments and diffs them).
 */
async function measureDiffs(repo: string): Promise<DiffResult> {
  const service = await startService(repo);
  try {
    const prognosisUrl = `${service.url}/api/environment-groups/prod/releasetrain/prognosis`;
    await request('GET', prognosisUrl);
    let plain = '';
    const plainPrognosis = await timeIt(async () => {
      plain = await request('GET', prognosisUrl);
    });
    let withDiffs = '';
    const diffPrognosis = await timeIt(async () => {
      withDiffs = await request('GET', `${prognosisUrl}?diff=true`);
    });
    const apps = Object.values(
      (JSON.parse(withDiffs) as { envsPrognoses: Record<string, { appsPrognoses?: { prognoses: object } }> })
        .envsPrognoses,
    ).flatMap((environment) => Object.values(environment.appsPrognoses?.prognoses ?? {})) as {
      manifestDiff?: string;
      manifestDiffTruncated?: boolean;
    }[];
    return {
      plainPrognosis,
      diffPrognosis,
      plainMiB: Buffer.byteLength(plain) / 2 ** 20,
      diffMiB: Buffer.byteLength(withDiffs) / 2 ** 20,
      diffs: apps.filter((app) => app.manifestDiff !== undefined).length,
      cut: apps.filter((app) => app.manifestDiffTruncated === true).length,
      peakRssMiB: await peakRssMiB(service.child),
    };
  } finally {
    service.child.kill('SIGTERM');
    await new Promise((done) => service.child.once('exit', done));
  }
}

/** Measures and prints the pages; false when one missed its target (`enforced`). */
async function reportPages(repo: string, enforced: boolean): Promise<boolean> {
  let met = true;
  for (const { path, first, warm, bytes } of await measurePages(repo)) {
    const target = (PAGES as readonly string[]).includes(path) ? PAGE_TARGET_MS : undefined;
    const ok = !enforced || target === undefined || warm <= target;
    if (!ok) met = false;
    console.log(
      `  web UI ${path.padEnd(18)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB: complete in Chromium ${ms(warm).padStart(9)}` +
        ` (its first load ${ms(first)})` +
        (enforced && target !== undefined ? `  (target <= ${target} ms: ${ok ? 'ok' : 'MISSED'})` : ''),
    );
  }
  return met;
}

/**
 * The web UI's pages in a real browser (Debian's Chromium, or CHROMIUM_PATH), as a person opens
 * them: from navigation to the load event and the next frame painted. The first load after the
 * service starts (the overview's includes reading the first snapshot), then the median of PAGE_LOADS more.
 */
async function measurePages(repo: string) {
  const service = await startService(repo);
  const browserServer = await chromium.launchServer({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  try {
    const browser = await chromium.connect(browserServer.wsEndpoint());
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const load = async (path: string) => {
      const started = performance.now();
      const response = await page.goto(`${service.url}${path}`, { waitUntil: 'load', timeout: 120_000 });
      // The next frame: what was loaded is also laid out and painted (a string: no DOM types here).
      await page.evaluate('new Promise((done) => requestAnimationFrame(() => done()))');
      const elapsed = performance.now() - started;
      if (!response?.ok()) throw new Error(`GET ${path}: ${response?.status()}`);
      return { elapsed, bytes: (await response.body()).length };
    };
    const results = [];
    for (const path of [...PAGES, ...MORE_PAGES]) {
      const first = await load(path);
      const warm: number[] = [];
      for (let index = 0; index < PAGE_LOADS; index++) warm.push((await load(path)).elapsed);
      results.push({ path, first: first.elapsed, warm: medianOf(warm), bytes: first.bytes });
    }
    await browser.close();
    return results;
  } finally {
    await browserServer.close();
    service.child.kill('SIGTERM');
    await new Promise((done) => service.child.once('exit', done));
  }
}

/** `uptime`'s load averages (1, 5, 15 minutes): the machine is shared. */
async function loadAverage(): Promise<string> {
  const text = await readFile('/proc/loadavg', 'utf8').catch(() => '');
  return text.split(' ').slice(0, 3).join(' ');
}

/**
 * Remote mode: what the clone at start and the fetch and push add to a train, against a local
 * train (when the core part did not run) plus `git push` of the same commit into a pristine copy.
 */
async function measureRemote(
  repo: string,
  base: string,
): Promise<{ clone: number; train: number; nothingTrain: number; push: number; localTrain: number }> {
  const clonePath = `${repo}-clone`;
  await rm(clonePath, { recursive: true, force: true });
  let service: RunningService | undefined;
  const clone = await timeIt(async () => {
    service = await startService(clonePath, {
      MANIFEST_REPO_URL: `file://${repo}`,
      // A bench measures: the clone and push may take long on a busy machine.
      GIT_REMOTE_TIMEOUT_SECONDS: '3600',
    });
  });
  if (!service) throw new Error('the service did not start');
  const { child, url } = service;
  try {
    const trainUrl = `${url}/api/environment-groups/prod/releasetrain`;
    let commitId = '';
    const train = await timeIt(async () => {
      commitId = (JSON.parse(await request('PUT', trainUrl)) as { commitId: string }).commitId;
    });
    const nothingTrain = await timeIt(() => request('PUT', trainUrl));
    const pristine = `${repo}-pristine`;
    await copyRepo(`${repo}-base`, pristine);
    // What git needs to send the same commit to a repo at the train's parent, as the service does.
    const push = await timeIt(() =>
      gitOutput(repo, ['push', '--quiet', `file://${pristine}`, `${commitId}:refs/heads/main`]),
    );
    let localTrain = 0;
    await gitOutput(repo, ['update-ref', 'refs/heads/main', base]);
    const local = await startService(repo);
    try {
      localTrain = await timeIt(() =>
        request('PUT', `${local.url}/api/environment-groups/prod/releasetrain`),
      );
    } finally {
      local.child.kill('SIGTERM');
      await new Promise((done) => local.child.once('exit', done));
    }
    return { clone, train, nothingTrain, push, localTrain };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
    await rm(clonePath, { recursive: true, force: true });
  }
}

/**
 * What git itself needs to write the same tree change: the train's diff replayed by fast-import
 * into a pristine copy of the workload (where the train's new trees do not exist yet, or
 * fast-import would skip writing them), with the blob ids that copy has and the few new blobs
 * (deployed_by, version targets) given inline.
 */
async function fastImportFloor(repo: string, parent: string, commit: string): Promise<number> {
  const diff = (
    await gitOutput(repo, ['diff-tree', '-r', '-z', '--no-commit-id', parent, commit])
  ).toString();
  const fields = diff.split('\0');
  const entries: { mode: string; oid: string; path: string; deleted: boolean }[] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const [, mode, , oid, status] = (fields[index] as string).split(' ');
    entries.push({
      mode: mode as string,
      oid: oid as string,
      path: fields[index + 1] as string,
      deleted: status === 'D',
    });
  }
  const pristine = `${repo}-pristine`;
  const newBlobs = new Map<string, number>();
  const uniqueOids = [...new Set(entries.filter((entry) => !entry.deleted).map((entry) => entry.oid))];
  await copyRepo(`${repo}-base`, pristine);
  const present = (await gitOutput(pristine, ['cat-file', '--batch-check'], `${uniqueOids.join('\n')}\n`))
    .toString()
    .split('\n');
  const blobs: string[] = [];
  for (const [index, oid] of uniqueOids.entries()) {
    if (!present[index]?.endsWith('missing')) continue;
    const content = (await gitOutput(repo, ['cat-file', 'blob', oid])).toString('latin1');
    newBlobs.set(oid, newBlobs.size + 1);
    blobs.push(`blob\nmark :${newBlobs.size}\ndata ${Buffer.byteLength(content, 'latin1')}\n${content}\n`);
  }
  const lines = entries.map((entry) => {
    if (entry.deleted) return `D ${entry.path}`;
    const mark = newBlobs.get(entry.oid);
    return `M ${entry.mode} ${mark === undefined ? entry.oid : `:${mark}`} ${entry.path}`;
  });
  const stream = Buffer.from(
    `${blobs.join('')}commit refs/bench/floor\ncommitter Bench <bench@trainyard.invalid> 1 +0000\ndata 6\nfloor\nfrom ${parent}\n${lines.join('\n')}\ndone\n`,
    'latin1',
  );
  const samples: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    await copyRepo(`${repo}-base`, pristine);
    samples.push(
      await timeIt(() => gitOutput(pristine, ['fast-import', '--quiet', '--done', '--force'], stream)),
    );
  }
  return medianOf(samples);
}

/** A person's commit with plain git: one new lock in one prod environment. */
async function outsideCommit(repo: string, parent: string): Promise<void> {
  const stream = [
    'commit refs/heads/main',
    'committer Someone <someone@example.com> 1795000100 +0000',
    'data 12',
    'outside lock',
    `from ${parent}`,
    'M 100644 inline environments/prod-05/locks/outside/message',
    'data 7',
    'outside',
    'done',
    '',
  ].join('\n');
  await gitOutput(repo, ['fast-import', '--quiet', '--done'], stream);
}

export type { WorkloadSize };

await main();
