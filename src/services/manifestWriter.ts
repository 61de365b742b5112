// Every write of the service: in the write queue, fetch (with a remote), read the tip, plan on it,
// commit exactly the plan with a compare-and-swap on the branch (a push with a lease, with a
// remote), and plan again from the start when the branch moved meanwhile. A commit is never
// rebased or merged: a lock another replica added meanwhile is seen by the new plan. Once the
// commit is on the branch the write is done: what fails after it is logged, not answered.
import { RefConflictError, RefLockedError } from '../domain/errors.js';
import { gitBlobId } from '../manifest/blobId.js';
import type { ObjectFormat } from '../manifest/git.js';
import type { RepositoryWriter } from '../manifest/repository.js';
import { applyChanges } from '../planning/applyChanges.js';
import type { Identity, TreeChange, WritePlan } from '../planning/changes.js';
import type { Snapshot } from '../planning/model.js';
import type { WriteQueue } from './writeQueue.js';

export interface WriteContext {
  readonly snapshot: Snapshot;
  readonly time: Date;
  /** Blob id of the empty blob, for the single-space rule of deployed manifests. */
  readonly emptyBlobId: string;
  /** The hash of the repository's objects, for the blob ids of new content. */
  readonly objectFormat: ObjectFormat;
}

export interface WriteResult<T> {
  readonly result: T;
  /** null when the plan changed nothing. */
  readonly commitId: string | null;
}

export interface RetryPolicy {
  /** How often a write is tried in all when it lost a race for the branch; then 503. */
  readonly maxAttempts: number;
  /** The wait before attempt `attempt + 1`, in ms. */
  readonly backoffMs: (attempt: number) => number;
  /** The most the waits of one write can add up to (the shutdown grace covers them). */
  readonly longestTotalBackoffMs: number;
}

/**
 * Full jitter: a random wait up to min(capMs, firstMs * 2^attempt), so that processes racing for
 * the branch spread out instead of colliding again.
 */
export function jitteredRetries(
  maxAttempts: number,
  { firstMs, capMs }: { readonly firstMs: number; readonly capMs: number },
  random: () => number = Math.random,
): RetryPolicy {
  const ceiling = (attempt: number) => Math.min(capMs, firstMs * 2 ** attempt);
  let longestTotalBackoffMs = 0;
  for (let attempt = 1; attempt < maxAttempts; attempt++) longestTotalBackoffMs += ceiling(attempt);
  return {
    maxAttempts,
    backoffMs: (attempt) => Math.round(random() * ceiling(attempt)),
    longestTotalBackoffMs,
  };
}

/**
 * A local repository: other processes on the machine (or containers sharing the volume) race us.
 * Their writes take milliseconds: short waits, and enough attempts that only a lock file that stays
 * ends in 503.
 */
export const LOCAL_RETRIES: RetryPolicy = jitteredRetries(10, { firstMs: 10, capMs: 500 });

/** Replicas race each other on the git server, each write a fetch and a push: longer waits. */
export function remoteRetries(maxAttempts: number, random: () => number = Math.random): RetryPolicy {
  return jitteredRetries(maxAttempts, { firstMs: 50, capMs: 2000 }, random);
}

/** A lost race for the branch: it moved, or another process held its lock at that moment. */
function lostRace(error: unknown): boolean {
  return error instanceof RefConflictError || error instanceof RefLockedError;
}

export interface MaintenancePolicy {
  /**
   * Writes that committed (a batch is one: one fast-import, one pack) between two runs of
   * `repo.maintain()` (queued like a write, so none runs meanwhile).
   */
  readonly writesPerMaintenance: number;
  readonly onMaintenanceError: (error: unknown) => void;
}

/** Where the writer says what it does, for LOG_LEVEL=debug (pino's argument order; app.log fits). */
export interface WriterLog {
  debug(details: Record<string, unknown>, message: string): void;
}

export interface WriterOptions {
  readonly clock: () => Date;
  /** Each step of a write (planned, committed, planned again), at debug level. */
  readonly log?: WriterLog;
  /** Told each time a write is planned again because it lost a race for the branch. */
  readonly onRetry?: () => void;
  /** Default: LOCAL_RETRIES. */
  readonly retries?: RetryPolicy;
  /** Absent: no maintenance. */
  readonly maintenance?: MaintenancePolicy;
  /**
   * Told when something failed after the commit reached the branch (keeping the next snapshot,
   * moving the clone's refs): the write is answered as done all the same.
   */
  readonly onAfterCommitError?: (error: unknown, commitId: string) => void;
}

export interface WriteOptions {
  /** A tag to create on the commit; no commit, no tag. A tagged write is never batched. */
  readonly tag?: string;
  /** The request the write is for, named in the writer's log lines (`reqId`, as Fastify's). */
  readonly requestId?: string;
  /**
   * May be written in one batch with the writes queued right after it: each its own commit (its
   * own message, author and trailers), chained by one fast-import, and the branch moved once. Its
   * plan then sees the snapshot as the writes before it in the batch leave it (derived, not read):
   * it must not read the repo by the snapshot's commit id, which is the batch's parent.
   */
  readonly batchable?: boolean;
}

/** The most writes one batch chains (one fast-import stream, one branch move). */
const MAX_BATCH = 50;

type Plan<T> = (context: WriteContext) => Promise<WritePlan<T>> | WritePlan<T>;

/** A write waiting in the queue, or taken into a batch; settled exactly once. */
interface QueuedWrite {
  readonly author: Identity;
  readonly plan: Plan<unknown>;
  readonly options: WriteOptions;
  /** In a batch that runs (or ran): its own queue turn does nothing then. */
  taken: boolean;
  settled: boolean;
  readonly resolve: (result: WriteResult<unknown>) => void;
  readonly reject: (error: unknown) => void;
}

/** What one write of a batch came to on an attempt. */
type Outcome =
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'nothing'; readonly result: unknown }
  | { readonly kind: 'chained'; readonly planned: WritePlan<unknown>; readonly position: number };

export class ManifestWriter {
  private readonly clock: () => Date;
  private readonly onRetry: () => void;
  private readonly retries: RetryPolicy;
  private readonly maintenance: MaintenancePolicy | undefined;
  private readonly onAfterCommitError: (error: unknown, commitId: string) => void;
  private readonly log: WriterLog;
  /** Writes whose queue turn has not come, in queue order (a batch takes them from here). */
  private readonly waiting: QueuedWrite[] = [];

  constructor(
    private readonly repo: RepositoryWriter,
    private readonly queue: WriteQueue,
    options: WriterOptions,
  ) {
    this.clock = options.clock;
    this.onRetry = options.onRetry ?? (() => {});
    this.retries = options.retries ?? LOCAL_RETRIES;
    this.maintenance = options.maintenance;
    this.onAfterCommitError = options.onAfterCommitError ?? (() => {});
    this.log = options.log ?? { debug: () => {} };
  }

  private writesSinceMaintenance = 0;

  private committed(): void {
    if (!this.maintenance || ++this.writesSinceMaintenance < this.maintenance.writesPerMaintenance) return;
    this.writesSinceMaintenance = 0;
    const { onMaintenanceError } = this.maintenance;
    this.queue.run(() => this.repo.maintain()).catch(onMaintenanceError);
  }

  /**
   * `plan` may throw an AppError (e.g. not found): nothing is written then. It may run more
   * than once, each time on a newer tip, and must depend on nothing but its arguments.
   *
   * Each write has its turn in the queue. A batchable write whose turn comes takes the batchable
   * writes queued right after it into one batch (see WriteOptions.batchable): each is planned on
   * the state the ones before it leave, and one whose plan fails or changes nothing is answered
   * so and left out; the others are one commit each, in a chain on the tip, and the branch moves
   * to the last with one compare-and-swap. Each caller gets its own commit id.
   */
  write<T>(author: Identity, plan: Plan<T>, options: WriteOptions = {}): Promise<WriteResult<T>> {
    return new Promise<WriteResult<T>>((resolve, reject) => {
      const entry: QueuedWrite = {
        author,
        plan: plan as Plan<unknown>,
        options,
        taken: false,
        settled: false,
        resolve: resolve as (result: WriteResult<unknown>) => void,
        reject,
      };
      this.waiting.push(entry);
      this.queue
        .run(async () => {
          if (entry.taken) return; // written (or being written) in the batch of an earlier write
          const batch = this.takeBatch(entry);
          try {
            await this.writeBatch(batch);
          } catch (error) {
            for (const write of batch) settle(write, { error });
          }
        })
        .catch((error: unknown) => {
          // Refused by the queue (full, or shutting down) before any batch took it: nothing written.
          if (entry.taken) return;
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          settle(entry, { error });
        });
    });
  }

  /** `entry` and the batchable writes queued right after it (none for a tagged or lone write). */
  private takeBatch(entry: QueuedWrite): QueuedWrite[] {
    const start = this.waiting.indexOf(entry);
    let end = start + 1;
    if (batchable(entry)) {
      while (
        end < this.waiting.length &&
        end - start < MAX_BATCH &&
        batchable(this.waiting[end] as QueuedWrite)
      ) {
        end++;
      }
    }
    const batch = this.waiting.splice(start, end - start);
    for (const write of batch) write.taken = true;
    return batch;
  }

  /** Writes that a batch could not take after all go back to wait for their own turn, in order. */
  private giveBack(writes: readonly QueuedWrite[]): void {
    for (const write of writes) write.taken = false;
    this.waiting.unshift(...writes);
  }

  /** Plans and commits a batch, retried whole when it lost a race; settles every write of it. */
  private async writeBatch(batch: readonly QueuedWrite[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.repo.sync();
      const tipSnapshot = await this.repo.readTipSnapshot();
      const time = this.clock();
      const objectFormat = await this.repo.objectFormat();
      const emptyBlobId = await this.repo.emptyBlobId();
      const tip = tipSnapshot.commitId;
      const blobIdOf = blobIds(objectFormat);
      // Each write planned on the state the ones before it leave (derived from their changes).
      let snapshot = tipSnapshot;
      let before = tipSnapshot;
      const outcomes = new Map<QueuedWrite, Outcome>();
      const chain: WritePlan<unknown>[] = [];
      const chained: QueuedWrite[] = [];
      let deferred: QueuedWrite[] = [];
      for (const [index, write] of batch.entries()) {
        const reqId = write.options.requestId;
        let planned: WritePlan<unknown>;
        try {
          planned = await write.plan({ snapshot, time, emptyBlobId, objectFormat });
        } catch (error) {
          outcomes.set(write, { kind: 'failed', error });
          continue;
        }
        if (planned.changes.length === 0) {
          this.log.debug({ reqId, attempt, tip }, 'write planned: it changes nothing, no commit');
          outcomes.set(write, { kind: 'nothing', result: planned.result });
          continue;
        }
        this.log.debug(
          { reqId, attempt, tip, changes: planned.changes.length, position: chain.length },
          'write planned',
        );
        outcomes.set(write, { kind: 'chained', planned, position: chain.length });
        chain.push(planned);
        chained.push(write);
        before = snapshot;
        if (index === batch.length - 1) break;
        // The next write's view; what only git can tell ends the batch here (the rest wait their turn).
        const derived = applyChanges(snapshot, planned.changes, tip ?? '', blobIdOf);
        if (derived.unsure) {
          deferred = batch.slice(index + 1);
          break;
        }
        snapshot = derived.snapshot;
      }
      const settleUnchained = (written: boolean) => {
        for (const write of batch) {
          const outcome = outcomes.get(write);
          if (outcome?.kind === 'failed') settle(write, { error: outcome.error });
          else if (outcome?.kind === 'nothing') settle(write, { result: outcome.result, commitId: null });
          else if (outcome?.kind === 'chained' && !written)
            settle(write, { result: outcome.planned.result, commitId: null });
        }
      };
      if (chain.length === 0) {
        settleUnchained(false);
        this.giveBack(deferred);
        return;
      }
      let clonesRefsBehind: { error: unknown } | undefined;
      let commitIds: readonly (string | null)[];
      try {
        commitIds = await this.repo.commitChain({
          parent: tip,
          commits: chain.map((planned, position) => ({
            changes: planned.changes,
            message: planned.message,
            author: (chained[position] as QueuedWrite).author,
          })),
          time,
          tag: batch.length === 1 ? batch[0]?.options.tag : undefined,
          onClonesRefsBehind: (error) => {
            clonesRefsBehind = { error };
          },
        });
      } catch (error) {
        if (lostRace(error) && attempt < this.retries.maxAttempts) {
          this.onRetry();
          const wait = this.retries.backoffMs(attempt);
          this.log.debug(
            {
              reqIds: batch.map((write) => write.options.requestId),
              attempt,
              tip,
              waitMs: wait,
              reason: (error as Error).message,
            },
            'write lost the race for the branch: planning it again',
          );
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        if (batch.length > 1 && !lostRace(error)) {
          // What failed may be one write's alone: each is written on its own instead, so that it
          // fails only its own caller. Nothing of the batch reached the branch.
          this.giveBack(deferred);
          for (const write of batch) {
            if (deferred.includes(write)) continue;
            try {
              await this.writeBatch([write]);
            } catch (single) {
              settle(write, { error: single });
            }
          }
          return;
        }
        for (const write of chained) settle(write, { error });
        settleUnchained(false);
        this.giveBack(deferred);
        return;
      }
      const lastId = [...commitIds].reverse().find((id) => id !== null) ?? null;
      if (lastId !== null) {
        // The commits are on the branch: from here on nothing turns the answers into errors (a
        // client would retry, and an auto-numbered release would be made twice).
        this.committed();
        // A commit left out changed nothing: the last write's derivation is the last commit's tree.
        const lastChanges = (chain[chain.length - 1] as WritePlan<unknown>).changes;
        if (clonesRefsBehind) this.afterCommitFailed(clonesRefsBehind.error, lastId);
        else await this.rememberNext(before, lastChanges, lastId);
      }
      for (const [position, write] of chained.entries()) {
        const commitId = commitIds[position] ?? null;
        const reqId = write.options.requestId;
        if (commitId === null)
          this.log.debug({ reqId, attempt, tip }, 'write planned: the tree stays as it is, no commit');
        else this.log.debug({ reqId, attempt, parent: tip, commitId }, 'write committed');
        const outcome = outcomes.get(write) as Extract<Outcome, { kind: 'chained' }>;
        settle(write, { result: outcome.planned.result, commitId });
      }
      settleUnchained(true);
      this.giveBack(deferred);
      return;
    }
  }

  /** The next request needs no read of the repo: the new snapshot follows from the plan. */
  private async rememberNext(
    snapshot: Snapshot,
    changes: readonly TreeChange[],
    commitId: string,
  ): Promise<void> {
    try {
      const blobIdOf = blobIds(await this.repo.objectFormat());
      await this.repo.remember(applyChanges(snapshot, changes, commitId, blobIdOf));
    } catch (error) {
      this.afterCommitFailed(error, commitId);
    }
  }

  /** What is kept may not match the branch now: let go of it, the next request reads from git. */
  private afterCommitFailed(error: unknown, commitId: string): void {
    this.repo.forget();
    this.onAfterCommitError(error, commitId);
  }
}

function batchable(write: QueuedWrite): boolean {
  return write.options.batchable === true && write.options.tag === undefined;
}

function settle(write: QueuedWrite, how: { readonly error: unknown } | WriteResult<unknown>): void {
  if (write.settled) return;
  write.settled = true;
  if ('error' in how) write.reject(how.error);
  else write.resolve(how);
}

/** Blob ids of new content, each content hashed once. */
function blobIds(format: ObjectFormat): (content: string | Buffer) => string {
  const ids = new Map<string | Buffer, string>();
  return (content) => {
    let id = ids.get(content);
    if (id === undefined) {
      id = gitBlobId(content, format);
      ids.set(content, id);
    }
    return id;
  };
}
