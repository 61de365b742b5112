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
  /** Commits between two runs of `repo.maintain()` (queued like a write, so none runs meanwhile). */
  readonly commitsPerMaintenance: number;
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
  /** A tag to create on the commit; no commit, no tag. */
  readonly tag?: string;
  /** The request the write is for, named in the writer's log lines (`reqId`, as Fastify's). */
  readonly requestId?: string;
}

export class ManifestWriter {
  private readonly clock: () => Date;
  private readonly onRetry: () => void;
  private readonly retries: RetryPolicy;
  private readonly maintenance: MaintenancePolicy | undefined;
  private readonly onAfterCommitError: (error: unknown, commitId: string) => void;
  private readonly log: WriterLog;

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

  private commitsSinceMaintenance = 0;

  private committed(): void {
    if (!this.maintenance || ++this.commitsSinceMaintenance < this.maintenance.commitsPerMaintenance) return;
    this.commitsSinceMaintenance = 0;
    const { onMaintenanceError } = this.maintenance;
    this.queue.run(() => this.repo.maintain()).catch(onMaintenanceError);
  }

  /**
   * `plan` may throw an AppError (e.g. not found): nothing is written then. It may run more
   * than once, each time on a newer tip, and must depend on nothing but its arguments.
   */
  write<T>(
    author: Identity,
    plan: (context: WriteContext) => Promise<WritePlan<T>> | WritePlan<T>,
    options: WriteOptions = {},
  ): Promise<WriteResult<T>> {
    return this.queue.run(async () => {
      for (let attempt = 1; ; attempt++) {
        await this.repo.sync();
        const snapshot = await this.repo.readTipSnapshot();
        const time = this.clock();
        const objectFormat = await this.repo.objectFormat();
        const emptyBlobId = await this.repo.emptyBlobId();
        const planned = await plan({ snapshot, time, emptyBlobId, objectFormat });
        const tip = snapshot.commitId;
        const reqId = options.requestId;
        if (planned.changes.length === 0) {
          this.log.debug({ reqId, attempt, tip }, 'write planned: it changes nothing, no commit');
          return { result: planned.result, commitId: null };
        }
        this.log.debug({ reqId, attempt, tip, changes: planned.changes.length }, 'write planned');
        let clonesRefsBehind: { error: unknown } | undefined;
        let commitId: string | null;
        try {
          commitId = await this.repo.commit({
            parent: snapshot.commitId,
            changes: planned.changes,
            message: planned.message,
            author,
            time,
            tag: options.tag,
            onClonesRefsBehind: (error) => {
              clonesRefsBehind = { error };
            },
          });
        } catch (error) {
          if (lostRace(error) && attempt < this.retries.maxAttempts) {
            this.onRetry();
            const wait = this.retries.backoffMs(attempt);
            this.log.debug(
              { reqId, attempt, tip, waitMs: wait, reason: (error as Error).message },
              'write lost the race for the branch: planning it again',
            );
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            continue;
          }
          throw error;
        }
        if (commitId === null) {
          this.log.debug({ reqId, attempt, tip }, 'write planned: the tree stays as it is, no commit');
          return { result: planned.result, commitId };
        }
        this.log.debug({ reqId, attempt, parent: tip, commitId }, 'write committed');
        // The commit is on the branch: from here on nothing turns the answer into an error (a
        // client would retry it, and an auto-numbered release would be made twice).
        this.committed();
        if (clonesRefsBehind) this.afterCommitFailed(clonesRefsBehind.error, commitId);
        else await this.rememberNext(snapshot, planned.changes, commitId);
        return { result: planned.result, commitId };
      }
    });
  }

  /** The next request needs no read of the repo: the new snapshot follows from the plan. */
  private async rememberNext(
    snapshot: Snapshot,
    changes: readonly TreeChange[],
    commitId: string,
  ): Promise<void> {
    try {
      const format = await this.repo.objectFormat();
      const blobIds = new Map<string | Buffer, string>();
      const blobIdOf = (content: string | Buffer) => {
        let id = blobIds.get(content);
        if (id === undefined) {
          id = gitBlobId(content, format);
          blobIds.set(content, id);
        }
        return id;
      };
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
