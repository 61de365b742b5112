// Names as manifest-repo.md defines them. Every name a client sends passes one of these
// before it reaches a path or a git argument.
import { z } from 'zod';

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LOCK_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{1,98}$/;

const name = (what: string, maxLength: number) =>
  z
    .string()
    .max(maxLength, `${what} name must be at most ${maxLength} characters`)
    .regex(NAME_PATTERN, `${what} name must match ${NAME_PATTERN.source}`);

export const EnvironmentNameSchema = name('environment', 63).describe('An environment name');
export const GroupNameSchema = name('environment group', 63).describe('An environment group name');
export const TargetNameSchema = name('environment or environment group', 63).describe(
  'An environment or environment group name',
);
export const TeamNameSchema = name('team', 63).describe('A team name');
export const ApplicationNameSchema = name('application', 70).describe('An application name');
export const LockIdSchema = z
  .string()
  .regex(LOCK_ID_PATTERN, 'lock id must be 2 to 99 characters of [A-Za-z0-9._-], not starting with . or -')
  .describe('A lock id');

export const MAX_RELEASE_VERSION = Number.MAX_SAFE_INTEGER;

/** A branch or tag name git accepts (a safe subset of `git check-ref-format`). */
export const GIT_REF_NAME_PATTERN =
  /^(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\/\.)(?!.*\.lock(?:\/|$))(?![/.-])[A-Za-z0-9._/-]+(?<![/.])$/;

export const GitTagNameSchema = z
  .string()
  .max(200)
  .transform((value) => value.replace(/^refs\/tags\//, ''))
  .pipe(z.string().regex(GIT_REF_NAME_PATTERN, 'must be a valid git tag name'))
  .describe('A git tag name; a refs/tags/ prefix is accepted');

export function isValidName(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && NAME_PATTERN.test(value);
}

/** A release directory name: a decimal integer from 1 to 2^53-1, no sign, no leading zeros. */
export function parseReleaseNumber(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_RELEASE_VERSION ? value : undefined;
}

export const CiLinkSchema = z
  .string()
  .max(2048)
  .refine((value) => isAbsoluteHttpUrl(value), 'ciLink must be one line, an absolute http(s) URL')
  .describe('Absolute http(s) URL of the CI run, recorded as the Ci-Link trailer');

/** Text that must stay on one line (it may reach a file that tools read line by line). */
export const OneLineSchema = (what: string, maxLength: number) =>
  z
    .string()
    .max(maxLength, `${what} must be at most ${maxLength} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    .regex(/^[^\u0000-\u001f\u007f]*$/, `${what} must be one line without control characters`);

function isAbsoluteHttpUrl(value: string): boolean {
  // Any whitespace or control character, and the Unicode line breaks JavaScript's \s leaves out.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
