// Plan ids (plans.md): the SHA-256 of a plan's canonical form (planning/planId.ts), in hex. The
// prognosis sends it as its ETag, a train made conditional with If-Match commits only the plan
// of that id, and a 412 names the current one.
import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { canonicalPlanPieces } from '../planning/planId.js';
import type { ReleaseTrainPlan } from '../planning/releaseTrain.js';
import { toEnvsPrognoses } from './prognosisView.js';

export function planIdOf(plan: ReleaseTrainPlan): string {
  const hash = createHash('sha256');
  for (const piece of canonicalPlanPieces(plan)) hash.update(piece);
  return hash.digest('hex');
}

/** 412: the plan on the tip the train would commit to is not one the caller approved; nothing was written. */
export class PlanChangedError extends AppError {
  constructor(
    readonly plan: ReleaseTrainPlan,
    readonly planId: string,
    approved: readonly string[],
    /** The instant the current plan was made at (a train plans at its write's time). */
    readonly plannedAt: Date,
  ) {
    super(
      'PLAN_CHANGED',
      `The release train's plan is no longer the approved one (If-Match ${approved.map((id) => `"${id}"`).join(', ')}): ` +
        `it is now "${planId}"; nothing was written. currentPlanId and envsPrognoses hold the current plan.`,
      { fields: { currentPlanId: planId, envsPrognoses: toEnvsPrognoses(plan) } },
    );
    this.name = 'PlanChangedError';
  }
}
