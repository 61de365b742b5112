// Names as manifest-repo.md defines them (domain/names.ts), as zod schemas. Every name a client
// sends passes one of these before it reaches a path or a git argument.
import { z } from 'zod';
import {
  APPLICATION_NAME_MAX_LENGTH,
  GIT_REF_NAME_PATTERN,
  LOCK_ID_PATTERN,
  NAME_MAX_LENGTH,
  NAME_PATTERN,
} from '../domain/names.js';

const name = (what: string, maxLength: number) =>
  z
    .string()
    .max(maxLength, `${what} name must be at most ${maxLength} characters`)
    .regex(NAME_PATTERN, `${what} name must match ${NAME_PATTERN.source}`);

export const EnvironmentNameSchema = name('environment', NAME_MAX_LENGTH).describe('An environment name');
export const GroupNameSchema = name('environment group', NAME_MAX_LENGTH).describe(
  'An environment group name',
);
export const TargetNameSchema = name('environment or environment group', NAME_MAX_LENGTH).describe(
  'An environment or environment group name',
);
export const TeamNameSchema = name('team', NAME_MAX_LENGTH).describe('A team name');
export const ApplicationNameSchema = name('application', APPLICATION_NAME_MAX_LENGTH).describe(
  'An application name',
);
export const LockIdSchema = z
  .string()
  .regex(LOCK_ID_PATTERN, 'lock id must be 2 to 99 characters of [A-Za-z0-9._-], not starting with . or -')
  .describe('A lock id');

export const GitTagNameSchema = z
  .string()
  .max(200)
  .transform((value) => value.replace(/^refs\/tags\//, ''))
  .pipe(z.string().regex(GIT_REF_NAME_PATTERN, 'must be a valid git tag name'))
  .describe('A git tag name; a refs/tags/ prefix is accepted');

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
