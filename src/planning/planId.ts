// The canonical form of a release train plan (plans.md "Plan id"): its decisions and nothing
// else, so that the same decisions give the same text whatever commit they were made on. The
// service hashes it into the plan id (the prognosis's ETag, the train's If-Match). Pure.
import type { EnvironmentOutcome, ReleaseTrainPlan } from './releaseTrain.js';

/** Bumped when the form changes: ids of the old form then never match ids of the new one. */
const FORM = 'trainyard-plan 1';

/**
 * One line per decision: the target, the type it resolved to (a prognosis on the older
 * environments path and a train on the group path of the same group are the same plan), the
 * team; then per environment in plan order `env <name> <skip cause>`, or `env <name>` followed by
 * one line per app in plan order, indented: ` <app> <version> <manifest blob id>` for a deployment,
 * ` <app> <skip cause>` for a skip. Lock ids and messages, the base commit, the versions deployed
 * now and the upstream are not decisions: a lock replaced by another keeps the skip, so it keeps
 * the plan. Names are valid names (no white space), so the lines cannot be confused.
 */
export function canonicalPlanText(plan: ReleaseTrainPlan): string {
  return canonicalPlanPieces(plan).join('');
}

/**
 * The canonical text in pieces, the header and then one per environment: a hash takes them one
 * by one (the text of a plan of 30,000 apps is 2 MB; built per environment with `+=` it costs a
 * fraction of one string of 30,000 joined lines).
 */
export function canonicalPlanPieces(plan: ReleaseTrainPlan): string[] {
  const pieces = [`${FORM}\ntarget ${plan.target}\ntype ${plan.resolvedType}\nteam ${plan.team ?? ''}\n`];
  for (const { environment, outcome } of plan.environments)
    pieces.push(environmentPiece(environment, outcome));
  return pieces;
}

function environmentPiece(environment: string, outcome: EnvironmentOutcome): string {
  if (outcome.kind === 'skipped') return `env ${environment} ${outcome.cause}\n`;
  let piece = `env ${environment}\n`;
  // Few parts per line: at 30,000 apps each one more costs a millisecond.
  for (const { app, outcome: appOutcome } of outcome.apps) {
    piece +=
      appOutcome.kind === 'deploy'
        ? ` ${app} ${appOutcome.version} ${appOutcome.manifestBlobId}\n`
        : ` ${app} ${appOutcome.cause}\n`;
  }
  return piece;
}
