// Writes of one process go through this queue one at a time, so a train never races another
// write of the same process. Bounded: a full queue is refused at once rather than piling up.
// Closed at shutdown: the write that runs finishes, the ones waiting are refused, so that the
// shutdown grace only has to cover one write.
import { AppError } from '../domain/errors.js';

export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private closed = false;

  constructor(private readonly maxPending = 100) {}

  get depth(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(shuttingDown());
    if (this.waiting >= this.maxPending) {
      return Promise.reject(
        new AppError('REPO_BUSY', 'Too many writes are waiting; try again shortly.', {
          retryAfterSeconds: 1,
        }),
      );
    }
    this.waiting++;
    // Nothing of a refused write was done: the client may send it again (to another replica).
    const result = this.tail.then(() => (this.closed ? Promise.reject(shuttingDown()) : task()));
    const settle = () => {
      this.waiting--;
    };
    this.tail = result.then(settle, settle);
    return result;
  }

  /** No write starts any more; the one running finishes. */
  close(): void {
    this.closed = true;
  }
}

function shuttingDown(): AppError {
  return new AppError('REPO_BUSY', 'The service is shutting down; nothing was written. Try again.', {
    retryAfterSeconds: 1,
  });
}
