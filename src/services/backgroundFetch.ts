// Between writes the clone is fetched now and then, so reads (prognoses, overview) follow what
// other replicas wrote. Skipped while writes are queued: each of them fetches anyway. A failing
// fetch is logged once per outage, not every interval.
import type { RepositoryWriter } from '../manifest/repository.js';
import type { WriteQueue } from './writeQueue.js';

/** Where the loop tells how fetching goes (pino's argument order). */
export interface FetchLog {
  info(message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export class BackgroundFetch {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly repo: Pick<RepositoryWriter, 'sync'>,
    private readonly queue: WriteQueue,
    private readonly intervalMs: number,
    private readonly log: FetchLog,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.fetchUnlessWriting(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private fetchUnlessWriting(): void {
    if (this.queue.depth > 0) return;
    this.queue
      .run(() => this.repo.sync())
      .then(
        () => {
          if (this.failing) this.log.info('fetching the manifest repo works again');
          this.failing = false;
        },
        (err: unknown) => {
          if (!this.failing) this.log.warn({ err }, 'fetching the manifest repo failed');
          this.failing = true;
        },
      );
  }
}
