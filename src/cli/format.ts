// The answer for people reading a CI log: one block per environment in name order, what is
// deployed and what is skipped and why, then the commit. Plain text, no colors. Pure.
// Type-only imports: the CLI does not load zod or the schemas at run time.
import type { EnvsPrognoses, LockView } from '../schemas/releaseTrain.js';
import type { CliCommand } from './args.js';

type EnvPrognosis = EnvsPrognoses[string];

interface TrainLike {
  envsPrognoses?: unknown;
  commitId?: unknown;
  gitTag?: unknown;
}

export function formatResponse(command: CliCommand, body: unknown): string[] {
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
  if (command.kind === 'prognosis') {
    lines.push('prognosis only: nothing was written');
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
    const lines = [`${name}: skipped, ${env.skipCause}`];
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
      continue;
    }
    lines.push(`  ${app}: skipped, ${prognosis.skipCause ?? 'no reason given'}`);
    for (const lock of prognosis.appLocks ?? []) lines.push(`    app lock ${describeLock(lock)}`);
    for (const lock of prognosis.teamLocks ?? []) lines.push(`    team lock ${describeLock(lock)}`);
  }
  return lines;
}

function describeLock(lock: LockView): string {
  const by = lock.createdBy?.name ? ` by ${lock.createdBy.name}` : '';
  const link = lock.ciLink ? ` ${lock.ciLink}` : '';
  return `${lock.lockId}: ${JSON.stringify(lock.message)}${by}${link}`;
}
