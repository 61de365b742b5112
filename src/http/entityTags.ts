// Entity tags of RFC 9110 for plan ids (plans.md): the ETag a prognosis sends, the If-None-Match
// that makes it 304, the If-Match that makes a train conditional.

/** The ETag header value of a plan id. */
export function entityTag(planId: string): string {
  return `"${planId}"`;
}

/**
 * The plan ids of an If-Match its schema accepted (`*` or quoted plan ids); undefined for `*` or
 * no header: the train is unconditional.
 */
export function approvedPlanIds(ifMatch: string | undefined): string[] | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  return ifMatch.split(',').map((tag) => tag.trim().slice(1, -1));
}

/**
 * Whether If-None-Match names the current entity tag (weak comparison, as RFC 9110 has it for
 * If-None-Match; `*` names any). A value that is no list of entity tags names nothing.
 */
export function noneMatchHits(ifNoneMatch: string | undefined, planId: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === entityTag(planId));
}
