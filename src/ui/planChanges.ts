// What differs between the plan a person approved (the one a train page showed) and the plan a
// train found instead, in words, environment by environment and app by app: what the 412 page says
// changed. Only decisions count, as in the plan id (planning/planId.ts): per environment its skip
// cause or, per app, the version it deploys (with the manifest it writes) or its skip cause. Pure.
import type { AppOutcome, EnvironmentOutcome, ReleaseTrainPlan } from '../services/releaseTrains.js';
import { appSkipReason, environmentSkipReason } from './format.js';

/** At most this many lines are listed; the rest are counted. */
export const SHOWN_CHANGES = 200;

export interface PlanChanges {
  readonly lines: readonly string[];
  /** How many more differences there are than `lines` lists. */
  readonly more: number;
}

type TrainOutcome = Extract<EnvironmentOutcome, { kind: 'train' }>;

const sourceName = (outcome: TrainOutcome) =>
  outcome.source.kind === 'environment' ? outcome.source.name : undefined;

function describeEnvironment(outcome: EnvironmentOutcome | undefined): string {
  if (!outcome) return 'not part of the train';
  if (outcome.kind === 'skipped') {
    return `skipped (${environmentSkipReason(outcome.cause, outcome.cause === 'UPSTREAM_ENV_CONFIG_NOT_FOUND' ? outcome.upstream : undefined)})`;
  }
  return `taking from ${outcome.source.kind === 'latest' ? 'the latest releases' : outcome.source.name}`;
}

function describeApp(outcome: AppOutcome | undefined, source: string | undefined): string {
  if (!outcome) return 'not part of the train';
  if (outcome.kind === 'deploy') {
    return `deployed in version ${outcome.version}${outcome.undeploy ? ' (the undeploy version)' : ''}`;
  }
  return `skipped (${appSkipReason(outcome.cause, {
    source,
    team: 'team' in outcome ? outcome.team : undefined,
    version: 'version' in outcome ? outcome.version : undefined,
  })})`;
}

/** The same decision for an app: the same version and manifest deployed, or the same skip cause. */
function sameApp(a: AppOutcome | undefined, b: AppOutcome | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.kind === 'deploy' && b.kind === 'deploy') {
    return a.version === b.version && a.manifestBlobId === b.manifestBlobId;
  }
  return a.kind === 'skip' && b.kind === 'skip' && a.cause === b.cause;
}

/** One line per environment or app whose decision differs, in name order: "<env>: <app> is now …, was …." */
export function planChanges(approved: ReleaseTrainPlan, current: ReleaseTrainPlan): PlanChanges {
  const lines: string[] = [];
  const before = new Map(approved.environments.map((plan) => [plan.environment, plan.outcome]));
  const after = new Map(current.environments.map((plan) => [plan.environment, plan.outcome]));
  for (const name of sortedUnion(before.keys(), after.keys())) {
    const was = before.get(name);
    const is = after.get(name);
    const wasText = describeEnvironment(was);
    const isText = describeEnvironment(is);
    if (wasText !== isText) lines.push(`${name}: now ${isText}, was ${wasText}.`);
    if (was?.kind !== 'train' || is?.kind !== 'train') continue;
    const wasApps = new Map(was.apps.map((plan) => [plan.app, plan.outcome]));
    const isApps = new Map(is.apps.map((plan) => [plan.app, plan.outcome]));
    for (const app of sortedUnion(wasApps.keys(), isApps.keys())) {
      const a = wasApps.get(app);
      const b = isApps.get(app);
      if (sameApp(a, b)) continue;
      const wasAppText = describeApp(a, sourceName(was));
      const isAppText = describeApp(b, sourceName(is));
      lines.push(
        wasAppText === isAppText
          ? `${name}: ${app} is ${isAppText}, with another manifest.`
          : `${name}: ${app} is now ${isAppText}, was ${wasAppText}.`,
      );
    }
  }
  return { lines: lines.slice(0, SHOWN_CHANGES), more: Math.max(0, lines.length - SHOWN_CHANGES) };
}

/** Names in byte order, as plans order them. */
function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}
