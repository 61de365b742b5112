// Names as manifest-repo.md defines them, as plain rules: the planner and the git adapter check
// names read from the repo with them, and the API's zod schemas (schemas/names.ts) are built on
// them, so that a name a client may send and a name the repo may hold are one rule.

export const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** The longest environment, group or team name. */
export const NAME_MAX_LENGTH = 63;
export const APPLICATION_NAME_MAX_LENGTH = 70;

export const LOCK_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{1,98}$/;

export const MAX_RELEASE_VERSION = Number.MAX_SAFE_INTEGER;

/** A branch or tag name git accepts (a safe subset of `git check-ref-format`). */
export const GIT_REF_NAME_PATTERN =
  /^(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\/\.)(?!.*\.lock(?:\/|$))(?![/.-])[A-Za-z0-9._/-]+(?<![/.])$/;

export function isValidName(value: string, maxLength = NAME_MAX_LENGTH): boolean {
  return value.length <= maxLength && NAME_PATTERN.test(value);
}

export function isValidLockId(value: string): boolean {
  return LOCK_ID_PATTERN.test(value);
}

/** A release directory name: a decimal integer from 1 to 2^53-1, no sign, no leading zeros. */
export function parseReleaseNumber(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_RELEASE_VERSION ? value : undefined;
}
