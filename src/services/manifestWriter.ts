// Every write of the service: in the write queue, read the tip, plan on it, commit exactly the
// plan with a compare-and-swap on the branch, and plan again when the branch moved meanwhile.
import { RefConflictError } from '../errors.js';
import { gitBlobId } from '../manifest/blobId.js';
import type { ManifestRepository } from '../manifest/repository.js';
import { applyChanges } from '../planning/applyChanges.js';
import type { Identity, WritePlan } from '../planning/changes.js';
import type { Snapshot } from '../planning/model.js';
import type { WriteQueue } from './writeQueue.js';

export interface WriteContext {
  readonly snapshot: Snapshot;
  readonly time: Date;
  /** Blob id of the empty blob, for the single-space rule of deployed manifests. */
  readonly emptyBlobId: string;
}

export interface WriteResult<T> {
  readonly result: T;
  /** null when the plan changed nothing. */
  readonly commitId: string | null;
}

/** How often a write is planned again when an outside commit moved the branch meanwhile. */
const MAX_ATTEMPTS = 3;

export class ManifestWriter {
  constructor(
    readonly repo: ManifestRepository,
    private readonly queue: WriteQueue,
    private readonly clock: () => Date,
    /** Told each time a write is planned again because the branch moved. */
    private readonly onRetry: () => void = () => {},
  ) {}

  /**
   * `plan` may throw an AppError (e.g. not found): nothing is written then. It may run more
   * than once, each time on a newer tip, and must depend on nothing but its arguments.
   */
  write<T>(
    author: Identity,
    plan: (context: WriteContext) => Promise<WritePlan<T>> | WritePlan<T>,
    /** Runs in the queue right after the commit is on the branch (e.g. to tag it). */
    afterCommit?: (commitId: string) => Promise<void>,
  ): Promise<WriteResult<T>> {
    return this.queue.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const snapshot = await this.repo.readTipSnapshot();
        const time = this.clock();
        const planned = await plan({ snapshot, time, emptyBlobId: await this.repo.emptyBlobId() });
        if (planned.changes.length === 0) return { result: planned.result, commitId: null };
        try {
          const commitId = await this.repo.commit({
            parent: snapshot.commitId,
            changes: planned.changes,
            message: planned.message,
            author,
            time,
          });
          if (commitId === null) return { result: planned.result, commitId };
          // The next request needs no read of the repo: the new snapshot follows from the plan.
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
          await this.repo.remember(applyChanges(snapshot, planned.changes, commitId, blobIdOf));
          await afterCommit?.(commitId);
          return { result: planned.result, commitId };
        } catch (error) {
          if (error instanceof RefConflictError && attempt < MAX_ATTEMPTS) {
            this.onRetry();
            continue;
          }
          throw error;
        }
      }
    });
  }
}
