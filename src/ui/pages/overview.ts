// The overview (/ui/): a table per environment group, in upstream order (the groups whose
// environments take the latest releases first), rows = applications, columns = environments;
// each cell the deployed version (the display version where the release has one), marked in words
// when a lock holds the app there, a deployment is queued, or the upstream runs a newer version.
// Filters by team and application name live in the URL, so a view can be bookmarked.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TeamNameSchema } from '../../schemas/names.js';
import type { Overview } from '../../schemas/overview.js';
import type { OverviewService } from '../../services/overview.js';
import { shortText } from '../format.js';
import { optional, parseFields } from '../forms.js';
import type { Renderer } from '../render.js';

type OverviewEnvironment = Overview['environmentGroups'][number]['environments'][number];

export interface OverviewFilter {
  readonly team?: string;
  /** Part of an application name, any case. */
  readonly app?: string;
}

/** What a cell says besides the version; its class colours the cell (the words say it too). */
export type MarkKind = 'lock' | 'queued' | 'behind';
const MARK_CLASS: Readonly<Record<MarkKind, string>> = { lock: 'l', queued: 'q', behind: 'b' };

export interface Cell {
  /** The display version (else the version number), then the marks in words: "8 (env lock, behind)". */
  readonly text: string;
  /** The version number when the display version is shown. */
  readonly title: string;
  /** Short classes of the marks (l, q, b): one element per cell keeps a 32,000-cell page light. */
  readonly classes: string;
}

export interface EnvironmentColumn {
  readonly name: string;
  /** Its environment locks' ids, when it has any in force. */
  readonly lockIds: readonly string[];
  /** Its timed environment locks not in force now (not yet, or no more). */
  readonly idleLockIds: readonly string[];
  /** "latest", an environment's name, or "" for none. */
  readonly upstream: string;
}

export interface GroupTable {
  readonly name: string;
  readonly environments: readonly EnvironmentColumn[];
  readonly rows: readonly { readonly app: string; readonly team: string; readonly cells: readonly Cell[] }[];
}

export interface OverviewModel {
  readonly filter: { readonly team: string; readonly app: string };
  readonly teams: readonly string[];
  readonly groups: readonly GroupTable[];
  readonly shownApps: number;
  readonly totalApps: number;
  readonly problems: Overview['problems'];
}

interface Upstream {
  readonly latest: boolean;
  readonly environment: string | undefined;
}

function upstreamOf(config: Readonly<Record<string, unknown>>): Upstream | undefined {
  const upstream = config.upstream;
  if (upstream === null || typeof upstream !== 'object') return undefined;
  const { latest, environment } = upstream as Record<string, unknown>;
  return {
    latest: latest === true,
    environment: typeof environment === 'string' && environment !== '' ? environment : undefined,
  };
}

/**
 * How far an environment is from the releases: 0 takes the latest, 1 takes from one that does,
 * and so on; environments without a usable upstream come last.
 */
function stageDepths(environments: ReadonlyMap<string, OverviewEnvironment>): Map<string, number> {
  const depths = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    const upstream = upstreamOf(environments.get(name)?.config ?? {});
    let depth = Number.POSITIVE_INFINITY;
    if (upstream?.latest && upstream.environment === undefined) depth = 0;
    else if (upstream?.environment && !upstream.latest && !seen.has(name)) {
      seen.add(name);
      if (environments.has(upstream.environment)) depth = depthOf(upstream.environment, seen) + 1;
    }
    depths.set(name, depth);
    return depth;
  };
  for (const name of environments.keys()) depthOf(name, new Set());
  return depths;
}

export function overviewModel(
  overview: Overview,
  displayVersions: ReadonlyMap<string, string>,
  filter: OverviewFilter,
): OverviewModel {
  const environments = new Map<string, OverviewEnvironment>();
  for (const group of overview.environmentGroups) {
    for (const environment of group.environments) environments.set(environment.name, environment);
  }
  const depths = stageDepths(environments);
  const depth = (name: string) => depths.get(name) ?? Number.POSITIVE_INFINITY;
  const teamOf = (app: string) => overview.applications[app]?.team ?? '';
  const latestRelease = (app: string) => overview.applications[app]?.releases.at(-1);
  const needle = filter.app?.toLowerCase();
  const wanted = (app: string) =>
    (filter.team === undefined || teamOf(app) === filter.team) &&
    (needle === undefined || app.toLowerCase().includes(needle));
  const versionText = (app: string, version: number) =>
    shortText(displayVersions.get(`${app}/${version}`) ?? String(version), 40);

  const shown = new Set<string>();
  const allApps = new Set(Object.keys(overview.applications));
  const groups = overview.environmentGroups
    .map((group) => {
      const members = [...group.environments].sort(
        (a, b) => depth(a.name) - depth(b.name) || (a.name < b.name ? -1 : 1),
      );
      return {
        name: group.environmentGroupName,
        members,
        depth: Math.min(...members.map((e) => depth(e.name))),
      };
    })
    .sort((a, b) => a.depth - b.depth || (a.name < b.name ? -1 : 1))
    .map((group): GroupTable => {
      const apps = new Set<string>();
      for (const environment of group.members) {
        for (const app of Object.keys(environment.applications)) {
          allApps.add(app);
          if (wanted(app)) apps.add(app);
        }
      }
      const columns = group.members.map((environment) => ({
        environment,
        upstream: upstreamOf(environment.config),
        // A timed lock marks only while it is in force: it holds nothing before or after.
        lockIds: Object.keys(environment.locks).filter((id) => environment.locks[id]?.inForce),
        idleLockIds: Object.keys(environment.locks).filter((id) => !environment.locks[id]?.inForce),
      }));
      const rows = [...apps].sort().map((app) => {
        shown.add(app);
        const team = teamOf(app);
        const cells = columns.map(({ environment, upstream, lockIds }): Cell => {
          const state = environment.applications[app];
          const marks: { kind: MarkKind; text: string }[] = [];
          if (lockIds.length > 0) marks.push({ kind: 'lock', text: 'env lock' });
          if (state && Object.values(state.locks).some((lock) => lock.inForce)) {
            marks.push({ kind: 'lock', text: 'app lock' });
          }
          if (team !== '' && Object.values(environment.teamLocks[team] ?? {}).some((lock) => lock.inForce)) {
            marks.push({ kind: 'lock', text: 'team lock' });
          }
          if (state?.queuedVersion !== undefined) {
            marks.push({ kind: 'queued', text: `queued ${versionText(app, state.queuedVersion)}` });
          }
          const version = state?.version;
          const upstreamVersion = upstream?.latest
            ? latestRelease(app)
            : upstream?.environment
              ? environments.get(upstream.environment)?.applications[app]?.version
              : undefined;
          if (version !== undefined && upstreamVersion !== undefined && upstreamVersion > version) {
            marks.push({ kind: 'behind', text: 'behind' });
          }
          const shown = version === undefined ? '' : versionText(app, version);
          const words = marks.length > 0 ? `(${marks.map((mark) => mark.text).join(', ')})` : '';
          return {
            text: shown && words ? `${shown} ${words}` : shown || words,
            title: version === undefined || shown === String(version) ? '' : `version ${version}`,
            classes: [...new Set(marks.map((mark) => MARK_CLASS[mark.kind]))].join(' '),
          };
        });
        return { app, team, cells };
      });
      return {
        name: group.name,
        environments: columns.map(({ environment, upstream, lockIds, idleLockIds }) => ({
          name: environment.name,
          lockIds,
          idleLockIds,
          upstream: upstream?.latest ? 'latest' : (upstream?.environment ?? ''),
        })),
        rows,
      };
    });
  const teams = [...new Set(Object.values(overview.applications).map((app) => app.team))]
    .filter((team) => team !== '')
    .sort();
  return {
    filter: { team: filter.team ?? '', app: filter.app ?? '' },
    teams,
    groups,
    shownApps: shown.size,
    totalApps: allApps.size,
    problems: overview.problems,
  };
}

const OverviewQuery = {
  team: optional(TeamNameSchema),
  app: optional(z.string().max(70, 'must be at most 70 characters')),
};

export function overviewPage(app: FastifyInstance, ui: { render: Renderer; overview: OverviewService }) {
  app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'slash' }, async (request, reply) => {
    const filter = parseFields(OverviewQuery, { team: 'Team', app: 'Application' }, request.query);
    const { overview, displayVersions } = await ui.overview.readWithDisplayVersions();
    return ui.render.page(request, reply, {
      template: 'overview',
      title: 'Overview',
      section: 'overview',
      data: { model: overviewModel(overview, displayVersions, filter) },
    });
  });
}
