// Small writes and first requests (issue 18), measured against git in the same run: a lock write
// against its git floor (fast-import of the lock's blobs and trees plus the compare-and-swap
// update-ref, on a copy of the repo), 20 concurrent writers with and without group trains, and
// eight concurrent first requests against one.
import { gitOutput } from '../src/manifest/git.js';
import { copyRepo, medianOf, peakRssMiB, request, startService, stopService, timeIt } from './service.js';
import { appName, prodName } from './workload.js';

/** Lock writes of each kind measured one after another (alternating with the floor's). */
const SEQUENTIAL_WRITES = 9;
/** Concurrent writers, each writing WRITES_PER_WRITER locks one after another. */
const WRITERS = 20;
const WRITES_PER_WRITER = 10;

export interface WriteResults {
  /** git's own lock write: fast-import of the lock's files + update-ref with the old tip, median. */
  readonly lockFloor: number;
  /** One lock write over HTTP on an otherwise idle service, median. */
  readonly lockWrite: number;
  readonly concurrent: ConcurrentWrites;
  readonly mixed: ConcurrentWrites & { readonly trains: number; readonly trainMs: number };
  readonly peakRssMiB: number;
}

export interface ConcurrentWrites {
  readonly writes: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number;
}

const JSON_BODY = { 'content-type': 'application/json' };

function putLock(url: string, path: string, message: string): Promise<string> {
  return request('PUT', `${url}${path}`, { body: JSON.stringify({ message }), headers: JSON_BODY });
}

/**
 * Git's floor of one lock write, as the service writes it: the lock's four files (message,
 * created_by_name, created_by_email, created_at) in one fast-import commit on the tip, then the
 * branch moved with a compare-and-swap on the old tip (and the scratch ref gone) in one update-ref.
 */
async function floorLockWrite(floorRepo: string, index: number): Promise<number> {
  // The tip, as the service knows it without asking git (it wrote it): not part of the floor.
  const tip = (await gitOutput(floorRepo, ['rev-parse', 'refs/heads/main'])).toString('utf8').trim();
  return timeIt(async () => {
    const directory = `environments/prod-05/locks/floor-${index}`;
    const file = (name: string, content: string) =>
      `M 100644 inline ${directory}/${name}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    const message = `Created lock floor-${index}\n`;
    const stream =
      `commit refs/bench/scratch\nmark :1\n` +
      `author Bench <bench@trainyard.invalid> 1795000000 +0000\n` +
      `committer Bench <bench@trainyard.invalid> 1795000000 +0000\n` +
      `data ${Buffer.byteLength(message)}\n${message}from ${tip}\n` +
      file('message', 'bench') +
      file('created_by_name', 'Bench') +
      file('created_by_email', 'bench@trainyard.invalid') +
      file('created_at', '2026-12-07T00:00:00.000Z') +
      '\nget-mark :1\ndone\n';
    const commit = (await gitOutput(floorRepo, ['fast-import', '--quiet', '--done', '--force'], stream))
      .toString('utf8')
      .trim();
    await gitOutput(
      floorRepo,
      ['update-ref', '-m', 'bench', '--stdin'],
      `start\nupdate refs/heads/main ${commit} ${tip}\ndelete refs/bench/scratch ${commit}\nprepare\ncommit\n`,
    );
  });
}

/** WRITERS clients, each writing WRITES_PER_WRITER app locks in turn (each its own lock). */
async function concurrentWriters(url: string, round: string): Promise<ConcurrentWrites> {
  const latencies: number[] = [];
  const wall = await timeIt(() =>
    Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let index = 0; index < WRITES_PER_WRITER; index++) {
          const environment = prodName(5 + (writer % 20));
          const app = appName(writer * WRITES_PER_WRITER + index);
          latencies.push(
            await timeIt(() =>
              putLock(
                url,
                `/api/environments/${environment}/applications/${app}/locks/${round}-${writer}-${index}`,
                `writer ${writer}`,
              ),
            ),
          );
        }
      }),
    ),
  );
  return {
    writes: latencies.length,
    perSecond: latencies.length / (wall / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/**
 * On a service started on `repo` (at the workload's commit): the lock floor and single lock
 * writes alternately, then 20 concurrent writers, then 20 concurrent writers while group trains of
 * `prod` run one after another (the first deploys the group, the later ones find nothing to do).
 */
export async function measureWrites(repo: string): Promise<WriteResults> {
  const floorRepo = `${repo}-lockfloor`;
  await copyRepo(`${repo}-base`, floorRepo);
  const service = await startService(repo, { RATE_LIMIT_WRITES_PER_MINUTE: '0' });
  try {
    const { url } = service;
    // An idle service that has read its snapshot (a first request after start) and written once.
    await request('GET', `${url}/api/environment-groups/prod/releasetrain/prognosis`);
    await putLock(url, '/api/environments/prod-05/locks/warm-up', 'warm up');
    await floorLockWrite(floorRepo, 0);
    const floors: number[] = [];
    const writes: number[] = [];
    for (let index = 1; index <= SEQUENTIAL_WRITES; index++) {
      floors.push(await floorLockWrite(floorRepo, index));
      writes.push(
        await timeIt(() => putLock(url, `/api/environments/prod-05/locks/idle-${index}`, 'idle write')),
      );
    }
    const concurrent = await concurrentWriters(url, 'concurrent');
    let writersDone = false;
    let trains = 0;
    const trainTimes: number[] = [];
    const trainLoop = (async () => {
      while (!writersDone) {
        trainTimes.push(
          await timeIt(() => request('PUT', `${url}/api/environment-groups/prod/releasetrain`)),
        );
        trains++;
      }
    })();
    const mixed = await concurrentWriters(url, 'mixed');
    writersDone = true;
    await trainLoop;
    return {
      lockFloor: medianOf(floors),
      lockWrite: medianOf(writes),
      concurrent,
      mixed: { ...mixed, trains, trainMs: Math.max(...trainTimes) },
      peakRssMiB: await peakRssMiB(service.child),
    };
  } finally {
    await stopService(service);
  }
}

export interface FirstRequests {
  /** One first request after start: its time, and the git objects the service read for it. */
  readonly one: number;
  readonly oneObjects: number;
  /** Eight at once after start: until all are answered, and the objects read for all of them. */
  readonly eight: number;
  readonly eightObjects: number;
}

/** Objects the service read from git so far, from its metrics. */
async function objectsRead(url: string): Promise<number> {
  const metrics = await request('GET', `${url}/metrics`);
  const value = /^trainyard_git_objects_read_total (\d+)/m.exec(metrics)?.[1];
  if (value === undefined) throw new Error('no trainyard_git_objects_read_total in /metrics');
  return Number(value);
}

/** A fresh service asked one prognosis of `prod`, another asked eight at once. */
export async function measureFirstRequests(repo: string): Promise<FirstRequests> {
  const prognosis = '/api/environment-groups/prod/releasetrain/prognosis';
  const first = async (count: number) => {
    const service = await startService(repo);
    try {
      const before = await objectsRead(service.url);
      const time = await timeIt(() =>
        Promise.all(Array.from({ length: count }, () => request('GET', `${service.url}${prognosis}`))),
      );
      return { time, objects: (await objectsRead(service.url)) - before };
    } finally {
      await stopService(service);
    }
  };
  const one = await first(1);
  const eight = await first(8);
  return { one: one.time, oneObjects: one.objects, eight: eight.time, eightObjects: eight.objects };
}
