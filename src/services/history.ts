// The audit history (security.md "Audit"): the branch's commits from the git log, newest first,
// filtered by environment and application through git pathspecs.
import { APPLICATION_NAME_MAX_LENGTH, isValidName } from '../domain/names.js';
import type { LogEntry } from '../manifest/gitLog.js';
import type { RepositoryReader } from '../manifest/repository.js';
import type { HistoryEntry, HistoryKind } from '../schemas/history.js';

export interface HistoryQuery {
  /** A validated environment name. */
  readonly environment?: string;
  /** A validated application name. */
  readonly application?: string;
  readonly limit: number;
}

export class HistoryService {
  constructor(private readonly repo: RepositoryReader) {}

  async read(query: HistoryQuery): Promise<{ entries: HistoryEntry[] }> {
    const team =
      query.environment !== undefined && query.application !== undefined
        ? await this.currentTeam(query.application)
        : undefined;
    const log = await this.repo.log({ paths: historyPathspecs({ ...query, team }), limit: query.limit });
    return { entries: log.map(toHistoryEntry) };
  }

  /** The app's team at the tip, when it has a valid one: one file, not a snapshot of the repo. */
  private async currentTeam(application: string): Promise<string | undefined> {
    const tip = await this.repo.readTip();
    const team =
      tip === null
        ? undefined
        : (await this.repo.readTextAt(tip, `applications/${application}/team`))?.trim();
    return team && isValidName(team) ? team : undefined;
  }
}

/**
 * What "touches" an environment or an application, as git pathspecs (every name validated):
 * - environment: everything under `environments/<env>/` (config, locks of every kind,
 *   deployments);
 * - application: its own files, `applications/<app>/` (team, releases), and its directory in
 *   every environment (deployments, queued versions, app locks);
 * - both: what decides about that app in that environment: its directory there, the
 *   environment's locks, and the locks of the app's team (as of the tip) there. Releases of the
 *   app count where they deployed to (or queued in) that environment, as do trains.
 * - neither: every commit.
 */
export function historyPathspecs(filter: {
  readonly environment?: string;
  readonly application?: string;
  readonly team?: string;
}): string[] {
  const { environment, application, team } = filter;
  for (const name of [environment, application, team]) {
    // A second line of defence: only names of the manifest repo's alphabet reach a pathspec.
    if (name !== undefined && !isValidName(name, APPLICATION_NAME_MAX_LENGTH))
      throw new Error(`invalid name in a pathspec: ${name}`);
  }
  if (environment !== undefined && application !== undefined) {
    return [
      `environments/${environment}/applications/${application}/`,
      `environments/${environment}/locks/`,
      ...(team !== undefined ? [`environments/${environment}/teams/${team}/locks/`] : []),
    ];
  }
  if (environment !== undefined) return [`environments/${environment}/`];
  if (application !== undefined) {
    return [`applications/${application}/`, `:(glob)environments/*/applications/${application}/**`];
  }
  return [];
}

// The subjects of the service's own commits (src/planning: locks, releases, deployments,
// environments, commitMessage); any other subject is 'other'.
const KINDS: readonly (readonly [HistoryKind, RegExp])[] = [
  ['train', /^Release Train to /],
  ['lock', /^(?:Created|Deleted) lock "/],
  ['release', /^created (?:undeploy )?version \d+ of "/],
  ['deployment', /^(?:deployed|Queued) version \d+ of "/],
  ['environment', /^(?:Created|Updated|Deleted) environment "/],
  ['application', /^Deleted application "/],
  ['cleanup', /^Cleaned up \d+ old releases /],
];

const UNDEPLOY_VERSION = /^created undeploy version \d+ of "/;

export function historyKind(subject: string): HistoryKind {
  return KINDS.find(([, pattern]) => pattern.test(subject))?.[0] ?? 'other';
}

function toHistoryEntry(entry: LogEntry): HistoryEntry {
  return {
    commitId: entry.commitId,
    kind: historyKind(entry.subject),
    summary: entry.subject,
    ...(UNDEPLOY_VERSION.test(entry.subject) ? { undeployVersion: true as const } : {}),
    author: entry.author,
    committer: entry.committer,
    time: entry.authorTime.toISOString(),
    ...(entry.requestId !== undefined ? { requestId: entry.requestId } : {}),
    ...(entry.ciLink !== undefined ? { ciLink: entry.ciLink } : {}),
  };
}
