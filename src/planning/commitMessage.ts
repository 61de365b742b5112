// The commit message of a train, in Kuberpult's words (release-train.md "Writing a train").
import type { AppPlan, EnvironmentPlan, ReleaseTrainPlan, TrainSource } from './releaseTrain.js';

export interface TrainTrailers {
  readonly requestId: string;
  readonly ciLink?: string;
}

/** `cleanupLines`: the releases the same commit removes (retention.ts), a paragraph before the trailers. */
export function renderTrainCommitMessage(
  plan: ReleaseTrainPlan,
  trailerValues: TrainTrailers,
  cleanupLines: readonly string[] = [],
): string {
  const blocks = plan.environments.map((environmentPlan) =>
    renderEnvironmentBlock(environmentPlan, plan.team),
  );
  if (cleanupLines.length > 0) blocks.push(cleanupLines.join('\n'));
  const trailers = renderTrailers([
    ['Release-Train-Target', plan.target],
    ['Release-Train-Team', plan.team],
    ['Ci-Link', trailerValues.ciLink],
    ['Request-Id', trailerValues.requestId],
  ]);
  return [`Release Train to environment/environment group '${plan.target}':`, ...blocks, trailers].join(
    '\n\n',
  );
}

function renderEnvironmentBlock({ environment, outcome }: EnvironmentPlan, team: string | undefined): string {
  switch (outcome.kind) {
    case 'skipped':
      switch (outcome.cause) {
        case 'ENV_IS_LOCKED':
          return `Target Environment '${environment}' is locked - skipping.`;
        case 'ENV_OUTSIDE_DEPLOY_WINDOW':
          return `Target Environment '${environment}' is outside its deploy windows - skipping.`;
        case 'ENV_HAS_NO_UPSTREAM':
          return `Environment '${environment}' does not have upstream configured - skipping.`;
        case 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV':
          return `Environment "${environment}" does not have upstream.latest or upstream.environment configured - skipping.`;
        case 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV':
          return `Environment "${environment}" has both upstream.latest and upstream.environment configured - skipping.`;
        case 'UPSTREAM_ENV_CONFIG_NOT_FOUND':
          return `Could not find environment config for upstream env "${outcome.upstream}". Target env was "${environment}"`;
      }
      break;
    case 'train': {
      const deployed = outcome.apps.filter(({ outcome: app }) => app.kind === 'deploy');
      const skipped = outcome.apps.filter(({ outcome: app }) => app.kind === 'skip');
      const forTeam = team !== undefined ? ` for team '${team}'` : '';
      const lines = [
        `The release train deployed ${deployed.length} services from '${sourceName(outcome.source)}' to '${environment}'${forTeam}`,
        ...deployed.map((app) => renderAppLine(app, environment, outcome.source)),
      ];
      if (skipped.length > 0) {
        lines.push(
          'Skipped services',
          ...skipped.map((app) => renderAppLine(app, environment, outcome.source)),
        );
      }
      return `Release Train to '${environment}' environment:\n\n${lines.join('\n')}`;
    }
  }
}

function renderAppLine({ app, outcome }: AppPlan, environment: string, source: TrainSource): string {
  if (outcome.kind === 'deploy') return `deployed version ${outcome.version} of "${app}" to "${environment}"`;
  switch (outcome.cause) {
    case 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV':
      return `skipping because there is no version for application "${app}" in env "${sourceName(source)}"`;
    case 'APP_ALREADY_IN_UPSTREAM_VERSION':
      return `skipping "${app}" because it is already in the version ${outcome.version}`;
    case 'APP_IS_LOCKED':
      return `skipping application "${app}" in environment "${environment}" due to application lock`;
    case 'APP_DOES_NOT_EXIST_IN_ENV':
      return `skipping application "${app}" in environment "${environment}" because it doesn't exist there`;
    case 'NO_TEAM_PERMISSION':
      return `skipping application "${app}" in environment "${environment}" because the caller is not in team "${outcome.team}"`;
    case 'TEAM_IS_LOCKED':
      return `skipping application "${app}" in environment "${environment}" due to team lock on team "${outcome.team}"`;
  }
}

function sourceName(source: TrainSource): string {
  return source.kind === 'latest' ? 'latest' : source.name;
}

/** The git trailer block of a commit; entries without a value are left out. */
export function renderTrailers(
  entries: readonly (readonly [key: string, value: string | undefined])[],
): string {
  return entries
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([key, value]) => trailer(key, value))
    .join('\n');
}

/** A trailer line; a value that could start a line of its own is a programming error upstream. */
function trailer(key: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`trailer ${key} must be one line`);
  return `${key}: ${value}`;
}
