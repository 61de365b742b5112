// The answers for people reading a CI log, plain text without colors. A train or prognosis: one
// block per environment in name order, what is deployed and what is skipped and why, then the
// commit; the other writes: one line saying what happened. Pure.
// Type-only imports: the CLI does not load zod or the schemas at run time.
import type { EnvsPrognoses, LockView } from '../schemas/releaseTrain.js';
import type { Command, LockScope, TrainCommand } from './subcommands.js';

type EnvPrognosis = EnvsPrognoses[string];
type AppPrognosis = NonNullable<EnvPrognosis['appsPrognoses']>['prognoses'][string];

interface TrainLike {
  envsPrognoses?: unknown;
  commitId?: unknown;
  gitTag?: unknown;
}

/** `planId`: the answer's ETag, the plan the prognosis shows or the train applied. */
export function formatResponse(command: TrainCommand, body: unknown, planId?: string): string[] {
  const what = command.group ? 'environment group' : 'environment';
  const team = command.team === undefined ? '' : ` (team ${command.team})`;
  const heading =
    command.kind === 'prognosis'
      ? `Prognosis of a release train to ${what} '${command.target}'${team}:`
      : `Release train to ${what} '${command.target}'${team}:`;
  const response = (typeof body === 'object' && body !== null ? body : {}) as TrainLike;
  const envs = (
    typeof response.envsPrognoses === 'object' && response.envsPrognoses !== null
      ? response.envsPrognoses
      : {}
  ) as EnvsPrognoses;
  const lines = [heading, ...formatEnvs(envs)];
  if (planId !== undefined) lines.push(`plan: ${planId}`);
  if (command.kind === 'prognosis') {
    lines.push('prognosis only: nothing was written');
    if (command.out !== undefined) lines.push(`plan written to ${command.out}`);
  } else if (typeof response.commitId === 'string') {
    lines.push(`commit: ${response.commitId}`);
    if (typeof response.gitTag === 'string') lines.push(`tag: ${response.gitTag}`);
  } else {
    lines.push('nothing to deploy, no commit');
  }
  return lines;
}

export function formatEnvs(envs: EnvsPrognoses): string[] {
  const names = Object.keys(envs).sort();
  if (names.length === 0) return ['  (no environments)'];
  return names.flatMap((name) => formatEnv(name, envs[name] ?? {}));
}

function formatEnv(name: string, env: EnvPrognosis): string[] {
  if (env.skipCause !== undefined) {
    const next = env.nextWindowStart ? ` (the next deploy window opens at ${env.nextWindowStart})` : '';
    const lines = [`${name}: skipped, ${env.skipCause}${next}`];
    for (const lock of Object.values(env.envLocks ?? {})) lines.push(`    env lock ${describeLock(lock)}`);
    return lines;
  }
  const prognoses = env.appsPrognoses?.prognoses ?? {};
  const apps = Object.keys(prognoses).sort();
  const deployed = apps.filter((app) => prognoses[app]?.deployedVersion !== undefined).length;
  const lines = [`${name}: ${deployed} to deploy, ${apps.length - deployed} skipped`];
  for (const app of apps) {
    const prognosis = prognoses[app] ?? {};
    if (prognosis.deployedVersion !== undefined) {
      lines.push(`  ${app}: deploy version ${prognosis.deployedVersion.version}`);
      if (prognosis.manifestDiff !== undefined) lines.push(...formatDiff(prognosis));
      continue;
    }
    lines.push(`  ${app}: skipped, ${prognosis.skipCause ?? 'no reason given'}`);
    for (const lock of prognosis.appLocks ?? []) lines.push(`    app lock ${describeLock(lock)}`);
    for (const lock of prognosis.teamLocks ?? []) lines.push(`    team lock ${describeLock(lock)}`);
  }
  return lines;
}

/** A manifest diff (?diff=true) under its app, indented; what is cut is said so. */
function formatDiff({ manifestDiff = '', manifestDiffTruncated }: AppPrognosis): string[] {
  const lines = manifestDiff === '' ? [] : manifestDiff.replace(/\n$/, '').split('\n');
  if (lines.length === 0 && !manifestDiffTruncated) return ['    (the manifest stays the same)'];
  return [
    ...lines.map((line) => `    ${line}`),
    ...(manifestDiffTruncated
      ? [
          `    (diff ${lines.length === 0 ? 'not shown' : 'cut'}: over the server's bounds of 64 KiB per diff, 4 MiB per answer, 1 MiB per manifest; ask for one environment or team)`,
        ]
      : []),
  ];
}

function describeLock(lock: LockView): string {
  const by = lock.createdBy?.name ? ` by ${lock.createdBy.name}` : '';
  const link = lock.ciLink ? ` ${lock.ciLink}` : '';
  const from = lock.validFrom ? ` from ${lock.validFrom}` : '';
  const until = lock.validUntil ? ` until ${lock.validUntil}` : '';
  return `${lock.lockId}: ${JSON.stringify(lock.message)}${by}${link}${from}${until}`;
}

export type WriteCommand = Extract<
  Command,
  { kind: 'release' | 'create-lock' | 'delete-lock' | 'delete-environment' | 'cleanup-releases' }
>;

/** One line for the writes other than trains; `body` is the parsed answer (undefined when empty). */
export function formatWrite(command: WriteCommand, status: number, body: unknown): string {
  const answer = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  switch (command.kind) {
    case 'release': {
      const version = typeof answer.version === 'number' ? answer.version : command.version;
      return status === 201
        ? `Created release ${version} of '${command.application}'`
        : `Release ${version} of '${command.application}' already exists with these manifests: nothing changed`;
    }
    case 'create-lock':
      return `Created lock '${command.lockId}' ${describeScope(command.scope)}${describeInForce(answer)}`;
    case 'delete-lock':
      return `Deleted lock '${command.lockId}' ${describeScope(command.scope)}`;
    case 'delete-environment':
      return `Deleted environment '${command.environment}'${
        typeof answer.commitId === 'string' ? ` (commit ${answer.commitId})` : ''
      }`;
    case 'cleanup-releases':
      return formatCleanup(command.dryRun, answer);
  }
}

/** For a timed lock: its interval, and whether it blocks now (the server's answer says). */
function describeInForce(answer: Record<string, unknown>): string {
  const { validFrom, validUntil, inForce } = answer;
  if (typeof validFrom !== 'string' && typeof validUntil !== 'string') return '';
  const from = typeof validFrom === 'string' ? ` from ${validFrom}` : '';
  const until = typeof validUntil === 'string' ? ` until ${validUntil}` : '';
  const now = inForce === true ? 'in force now' : inForce === false ? 'not in force now' : '';
  return `, in force${from}${until}${now ? ` (${now})` : ''}`;
}

/** The cleanup's answer: a summary line, then one line per app with its removed releases as ranges. */
function formatCleanup(dryRun: boolean, answer: Record<string, unknown>): string {
  const removed = (
    typeof answer.removed === 'object' && answer.removed !== null ? answer.removed : {}
  ) as Record<string, unknown>;
  const apps = Object.keys(removed).sort();
  const count = typeof answer.removedReleases === 'number' ? answer.removedReleases : 0;
  const kept = typeof answer.releasesKept === 'number' ? ` (RELEASES_KEPT=${answer.releasesKept})` : '';
  if (count === 0) return `Nothing to remove: every app keeps all its releases${kept}`;
  const summary = `${count} old release${count === 1 ? '' : 's'} of ${apps.length} application${apps.length === 1 ? '' : 's'}${kept}`;
  const heading = dryRun
    ? `Would remove ${summary}; nothing was written:`
    : `Removed ${summary}${typeof answer.commitId === 'string' ? ` in commit ${answer.commitId}` : ''}:`;
  const lines = apps.map((app) => {
    const versions = Array.isArray(removed[app]) ? (removed[app] as unknown[]) : [];
    return `  ${app}: ${ranges(versions.filter((version): version is number => typeof version === 'number'))}`;
  });
  return [heading, ...lines].join('\n');
}

/** 1, 2, 3, 5, 7, 8 -> "1-3, 5, 7-8" (the list is ascending). */
function ranges(versions: readonly number[]): string {
  const parts: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  const close = () => {
    if (start === undefined || previous === undefined) return;
    parts.push(start === previous ? `${start}` : `${start}-${previous}`);
  };
  for (const version of versions) {
    if (previous !== undefined && version === previous + 1) {
      previous = version;
      continue;
    }
    close();
    start = version;
    previous = version;
  }
  close();
  return parts.join(', ');
}

function describeScope(scope: LockScope): string {
  switch (scope.kind) {
    case 'environment':
      return `on environment '${scope.environment}'`;
    case 'application':
      return `on application '${scope.application}' in environment '${scope.environment}'`;
    case 'team':
      return `on team '${scope.team}' in environment '${scope.environment}'`;
    case 'group':
      return `on environment group '${scope.group}'`;
  }
}
