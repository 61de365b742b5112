// GET /readyz: whether the service should take traffic now. It can read the repo, no lock file
// stops its writes, and with a remote, the clone was fetched recently (a few missed background
// fetches are tolerated).
import type { RepositoryHealth } from '../manifest/repository.js';

export class ReadinessService {
  constructor(
    private readonly repo: RepositoryHealth,
    /** With a remote: the oldest a successful fetch may be. */
    private readonly maxFetchAgeMs: number,
  ) {}

  /** Why the service should not take traffic now, or undefined when it can. */
  async unreadiness(): Promise<string | undefined> {
    const unreadable = await this.repo.readProblem();
    if (unreadable !== undefined) return unreadable;
    const locked = await this.repo.refLockProblem();
    if (locked !== undefined) return locked;
    const { remote } = this.repo;
    if (!remote) return undefined;
    const age = remote.fetchAge();
    if (age === undefined) return `The manifest repo was not fetched from ${remote.displayUrl} yet.`;
    if (age > this.maxFetchAgeMs) {
      return `The manifest repo was last fetched from ${remote.displayUrl} ${Math.round(age / 1000)} s ago.`;
    }
    return undefined;
  }
}
