// The canonical form of a release train plan (plans.md "Plan id"): its decisions and nothing
// else, so that the same decisions give the same text whatever commit they were made on. The
// service hashes it into the plan id (the prognosis's ETag, the train's If-Match). Pure.
import type { AppOutcome, EnvironmentOutcome, ReleaseTrainPlan } from './releaseTrain.js';

/** Bumped when the form changes: ids of the old form then never match ids of the new one. */
const FORM = 'trainyard-plan 1';

/**
 * One line per decision: the target, the type it resolved to (a prognosis on the older
 * environments path and a train on the group path of the same group are the same plan), the
 * team, then per environment in plan order its skip cause, or per app in plan order the version
 * it deploys with the blob of the manifest it writes, or its skip cause. Lock ids and messages,
 * the base commit, the versions deployed now and the upstream are not decisions: a lock replaced
 * by another keeps the skip, so it keeps the plan. Names are valid names (no white space), so the
 * lines cannot be confused.
 */
export function canonicalPlanText(plan: ReleaseTrainPlan): string {
  const lines = [FORM, `target ${plan.target}`, `type ${plan.resolvedType}`, `team ${plan.team ?? ''}`];
  for (const { environment, outcome } of plan.environments) lines.push(environmentLine(environment, outcome));
  for (const { environment, outcome } of plan.environments) {
    if (outcome.kind !== 'train') continue;
    for (const { app, outcome: appOutcome } of outcome.apps)
      lines.push(appLine(environment, app, appOutcome));
  }
  lines.push('');
  return lines.join('\n');
}

function environmentLine(environment: string, outcome: EnvironmentOutcome): string {
  return outcome.kind === 'skipped' ? `env ${environment} skip ${outcome.cause}` : `env ${environment} train`;
}

function appLine(environment: string, app: string, outcome: AppOutcome): string {
  return outcome.kind === 'deploy'
    ? `app ${environment} ${app} deploy ${outcome.version} ${outcome.manifestBlobId}`
    : `app ${environment} ${app} skip ${outcome.cause}`;
}
