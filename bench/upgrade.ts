// npm run bench -- upgrade: what release retention costs the first time on a repo that grew without
// it, at Kuberpult scale (1,000 apps, 32 environments, 200 old releases per app below the regular
// 10). The group train over prod then deploys 27,807 versions and removes 188 releases of each app
// in the same commit; against it: the same train with nothing to remove (RELEASES_KEPT=1000), and
// the one-off cleanup (POST /api/releases/cleanup) followed by that train.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gitOutput } from '../src/manifest/git.js';
import {
  copyRepo,
  machine,
  medianOf,
  ms,
  peakRssMiB,
  request,
  seconds,
  startService,
  stopService,
  timeIt,
  WORK,
} from './service.js';
import { generateWorkload, UPGRADE_SIZE } from './workload.js';

const RUNS = 3;

interface TrainRun {
  readonly coldPrognosis: number;
  readonly train: number;
  readonly removed: number;
  readonly messageBytes: number;
  readonly prognosisAfter: number;
  readonly peakRssMiB: number;
}

export async function runUpgrade(): Promise<void> {
  console.log(`machine: ${await machine()}; ${RUNS} runs each, medians\n`);
  const repo = join(WORK, UPGRADE_SIZE.name);
  const started = performance.now();
  const base = await generateWorkload(repo, UPGRADE_SIZE);
  await copyRepo(repo, `${repo}-base`);
  const git = async (args: string[]) => (await gitOutput(repo, args)).toString('utf8');
  // Millions of lines: counted in the bytes, never made one string.
  const listing = await gitOutput(repo, ['ls-tree', '-r', '--name-only', base]);
  let files = 0;
  for (let index = listing.indexOf(10); index >= 0; index = listing.indexOf(10, index + 1)) files++;
  const lsTree = await timeIt(() => gitOutput(repo, ['ls-tree', '-r', base]));
  console.log(
    `upgrade: ${UPGRADE_SIZE.apps} apps x ${UPGRADE_SIZE.prodEnvironments + 2} environments x ` +
      `${(UPGRADE_SIZE.oldReleases ?? 0) + UPGRADE_SIZE.releasesPerApp} releases, ${files} files, ` +
      `generated in ${seconds(performance.now() - started)}; git ls-tree -r: ${ms(lsTree)}`,
  );

  const trainRun = async (releasesKept: number): Promise<TrainRun> => {
    await git(['update-ref', 'refs/heads/main', base]);
    const service = await startService(repo, { RELEASES_KEPT: String(releasesKept) });
    try {
      const prognosisUrl = `${service.url}/api/environment-groups/prod/releasetrain/prognosis`;
      const coldPrognosis = await timeIt(() => request('GET', prognosisUrl));
      let commitId = '';
      const train = await timeIt(async () => {
        const body = JSON.parse(
          await request('PUT', `${service.url}/api/environment-groups/prod/releasetrain`),
        );
        commitId = body.commitId;
      });
      const message = await git(['log', '-1', '--format=%B', commitId]);
      return {
        coldPrognosis,
        train,
        removed: message.split('\n').filter((line) => line.endsWith(' as cleanup')).length,
        messageBytes: Buffer.byteLength(message),
        prognosisAfter: await timeIt(() => request('GET', prognosisUrl)),
        peakRssMiB: await peakRssMiB(service.child),
      };
    } finally {
      await stopService(service);
    }
  };
  // The one-off cleanup at a quiet hour (on a warm service), then the train has nothing to remove.
  const cleanupRun = async (): Promise<{ cleanup: number; trainAfter: number; removed: number }> => {
    await git(['update-ref', 'refs/heads/main', base]);
    const service = await startService(repo);
    try {
      await request('GET', `${service.url}/api/environment-groups/prod/releasetrain/prognosis`);
      let removed = 0;
      const cleanup = await timeIt(async () => {
        removed = JSON.parse(await request('POST', `${service.url}/api/releases/cleanup`)).removedReleases;
      });
      const trainAfter = await timeIt(() =>
        request('PUT', `${service.url}/api/environment-groups/prod/releasetrain`),
      );
      return { cleanup, trainAfter, removed };
    } finally {
      await stopService(service);
    }
  };

  // Interleaved, so that the load of a shared machine falls on each alike.
  const cleaning: TrainRun[] = [];
  const plain: TrainRun[] = [];
  const cleanups: { cleanup: number; trainAfter: number; removed: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    cleaning.push(await trainRun(20));
    plain.push(await trainRun(1000));
    cleanups.push(await cleanupRun());
  }
  const median = (runs: readonly TrainRun[], key: keyof TrainRun) => medianOf(runs.map((run) => run[key]));
  console.log('  the first group train over prod after the upgrade (27,807 deployments):');
  for (const [label, runs] of [
    ['with RELEASES_KEPT=20 (cleans)', cleaning],
    ['with RELEASES_KEPT=1000 (nothing to clean)', plain],
  ] as const) {
    console.log(
      `    ${label.padEnd(44)} train ${ms(median(runs, 'train')).padStart(9)}, removed ${median(runs, 'removed')} releases, ` +
        `commit message ${(median(runs, 'messageBytes') / 1024 / 1024).toFixed(1)} MiB, cold prognosis before ${ms(median(runs, 'coldPrognosis'))}, ` +
        `prognosis after ${ms(median(runs, 'prognosisAfter'))}, peak RSS ${median(runs, 'peakRssMiB').toFixed(0)} MiB`,
    );
  }
  console.log(
    `  POST /api/releases/cleanup first (warm service): ${ms(medianOf(cleanups.map((run) => run.cleanup)))} ` +
      `for ${cleanups[0]?.removed} releases, then the group train ${ms(medianOf(cleanups.map((run) => run.trainAfter)))}`,
  );
  console.log(
    `  each run, train with cleaning / without / cleanup + train: ${cleaning
      .map(
        (run, index) =>
          `${ms(run.train)} / ${ms(plain[index]?.train ?? 0)} / ${ms(cleanups[index]?.cleanup ?? 0)} + ${ms(cleanups[index]?.trainAfter ?? 0)}`,
      )
      .join('; ')}`,
  );

  // With a git server: the cleanup's push (file://, a fresh clone at start).
  await git(['update-ref', 'refs/heads/main', base]);
  const clonePath = `${repo}-clone`;
  await rm(clonePath, { recursive: true, force: true });
  await copyRepo(`${repo}-base`, `${repo}-remote`);
  const remote = `${repo}-remote`;
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  const cloneTime = await timeIt(async () => {
    service = await startService(clonePath, {
      MANIFEST_REPO_URL: `file://${remote}`,
      // A bench measures: the clone and push may take long on a busy machine.
      GIT_REMOTE_TIMEOUT_SECONDS: '3600',
    });
  });
  if (!service) throw new Error('the service did not start');
  try {
    const remoteCleanup = await timeIt(() => request('POST', `${service?.url}/api/releases/cleanup`));
    const remoteTrain = await timeIt(() =>
      request('PUT', `${service?.url}/api/environment-groups/prod/releasetrain`),
    );
    console.log(
      `  with the repo as a remote (file://): clone at start ${ms(cloneTime)}, cleanup (fetch, plan, commit, push) ` +
        `${ms(remoteCleanup)}, then the group train ${ms(remoteTrain)}`,
    );
  } finally {
    await stopService(service);
    await rm(clonePath, { recursive: true, force: true });
    await rm(remote, { recursive: true, force: true });
  }
}
