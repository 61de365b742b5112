// Writes of one process go through this queue one at a time, so a train never races another
// write of the same process. Bounded: a full queue is refused at once rather than piling up.
import { AppError } from '../errors.js';

export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly maxPending = 100) {}

  get depth(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.maxPending) {
      return Promise.reject(
        new AppError('REPO_BUSY', 'Too many writes are waiting; try again shortly.', {
          retryAfterSeconds: 1,
        }),
      );
    }
    this.waiting++;
    const result = this.tail.then(task);
    const settle = () => {
      this.waiting--;
    };
    this.tail = result.then(settle, settle);
    return result;
  }
}
