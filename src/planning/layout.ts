// Reading rules of manifest-repo.md that do not depend on how the files were read.

import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/jsonDepth.js';
import {
  APPLICATION_NAME_MAX_LENGTH,
  isValidLockId,
  isValidName,
  NAME_MAX_LENGTH,
  parseReleaseNumber,
} from '../domain/names.js';
import { parseDeployWindows } from './deployWindows.js';
import type { Application, DeployWindow, EnvironmentConfig, Lock, Readable } from './model.js';

export const SYMLINK_MODE = '120000';

/**
 * The most bytes a metadata file may have (lock fields, team, config.json, deployed_*): the
 * service reads them whole, and a file pushed to be huge is a corrupt repo, not a huge answer.
 */
export const METADATA_MAX_BYTES = 1024 * 1024;
/** The most bytes of a version symlink's target (the longest valid one is under 200). */
export const LINK_MAX_BYTES = 4096;
/** The largest release manifest the service reads into an answer (it copies larger ones by blob id). */
export const MANIFEST_MAX_BYTES = 64 * 1024 * 1024;

/** The file in a release's directory that makes it an undeploy version (lifecycle.md). */
export const UNDEPLOY_MARKER = 'undeploy';

/** What a git tree entry is, by its mode. */
export type EntryKind = 'tree' | 'file' | 'symlink' | 'submodule';

const KIND_TEXT: Readonly<Record<EntryKind, string>> = {
  tree: 'a directory',
  file: 'a file',
  symlink: 'a symlink',
  submodule: 'a submodule entry (mode 160000)',
};

// The reasons of Unreadable values and problems, the same whichever reader found them.

export function tooLarge(size: number, maxBytes: number): string {
  return `is ${size} bytes, more than the ${maxBytes} bytes this file may have`;
}

export function linkTooLarge(size: number): string {
  return `symlink target ${tooLarge(size, LINK_MAX_BYTES)}`;
}

export function notADirectory(kind: Exclude<EntryKind, 'tree'>): string {
  return `${KIND_TEXT[kind]} where a directory belongs`;
}

export function notAFile(kind: EntryKind): string {
  return `must be a file, not ${KIND_TEXT[kind]}`;
}

/**
 * A name from the repo as it appears in a problem's path: control characters (and the line
 * breaks JavaScript knows) escaped, so that a name cannot start a new line in a message or log.
 */
export function pathName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g, (character) =>
    character === '\\' ? '\\\\' : `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** manifest-repo.md "Names", for names read from the repo: the reason when `name` breaks them. */
export function invalidName(
  kind: 'environment' | 'application' | 'team' | 'lock',
  name: string,
): string | undefined {
  if (kind === 'lock') {
    return isValidLockId(name)
      ? undefined
      : 'not a valid lock id (2 to 99 characters of [A-Za-z0-9._-], not starting with . or -)';
  }
  const maxLength = kind === 'application' ? APPLICATION_NAME_MAX_LENGTH : NAME_MAX_LENGTH;
  return isValidName(name, maxLength)
    ? undefined
    : `not a valid ${kind} name (^[a-z0-9]+(?:-[a-z0-9]+)*$, at most ${maxLength} characters)`;
}

/** The files of a lock directory and the Lock field each one holds; other files are ignored. */
export const LOCK_FIELD_FILES: Readonly<Record<string, keyof Lock>> = {
  message: 'message',
  created_by_name: 'createdByName',
  created_by_email: 'createdByEmail',
  created_at: 'createdAt',
  ci_link: 'ciLink',
  suggested_lifetime: 'suggestedLifetime',
  valid_from: 'validFrom',
  valid_until: 'validUntil',
};

export interface VersionLink {
  readonly mode: string;
  readonly target: string;
}

/** A `version` or `queued_version` symlink: exactly ../../../../applications/<app>/releases/<N>. */
export function checkVersionLink(
  link: VersionLink | undefined,
  file: string,
  app: string,
  applications: ReadonlyMap<string, Application>,
): Readable<number | undefined> {
  if (!link) return { ok: true, value: undefined };
  if (link.mode !== SYMLINK_MODE) return { ok: false, file, reason: 'must be a symlink to a release' };
  const prefix = `../../../../applications/${app}/releases/`;
  const version = link.target.startsWith(prefix)
    ? parseReleaseNumber(link.target.slice(prefix.length))
    : undefined;
  if (version === undefined) {
    return {
      ok: false,
      file,
      reason: `symlink target ${JSON.stringify(link.target.slice(0, 200))} is not ${prefix}<N>`,
    };
  }
  if (!applications.get(app)?.releases.has(version)) {
    return {
      ok: false,
      file,
      reason: `symlink points to release ${version} of ${app}, which does not exist`,
    };
  }
  return { ok: true, value: version };
}

/** The config of an environment without a config.json (or with `{}`). */
export const EMPTY_CONFIG: EnvironmentConfig = {
  upstream: null,
  environmentGroup: undefined,
  deployWindows: { ok: true, value: [] },
  raw: {},
};

export function parseEnvironmentConfig(text: string, file: string): Readable<EnvironmentConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, file, reason: `invalid JSON (${(error as Error).message})` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, file, reason: 'must be a JSON object' };
  }
  if (nestsDeeperThan(raw)) {
    return { ok: false, file, reason: `nests more than ${MAX_JSON_DEPTH} levels deep` };
  }
  const record = raw as Record<string, unknown>;
  const { upstream, environmentGroup } = record;
  const windows = parseDeployWindows(record.deployWindows);
  const deployWindows: Readable<readonly DeployWindow[]> = windows.ok
    ? { ok: true, value: windows.windows }
    : { ok: false, file, reason: windows.reason };
  if (environmentGroup !== undefined && environmentGroup !== null && typeof environmentGroup !== 'string') {
    return { ok: false, file, reason: 'environmentGroup must be a string' };
  }
  // Names from the repo obey the rules of names from clients: they reach messages and metrics.
  if (environmentGroup && !isValidName(environmentGroup)) {
    return { ok: false, file, reason: 'environmentGroup is not a valid group name' };
  }
  if (upstream === undefined || upstream === null) {
    return {
      ok: true,
      value: { upstream: null, environmentGroup: environmentGroup || undefined, deployWindows, raw: record },
    };
  }
  if (typeof upstream !== 'object' || Array.isArray(upstream)) {
    return { ok: false, file, reason: 'upstream must be an object or null' };
  }
  const { latest, environment } = upstream as Record<string, unknown>;
  if (latest !== undefined && latest !== null && typeof latest !== 'boolean') {
    return { ok: false, file, reason: 'upstream.latest must be a boolean' };
  }
  if (environment !== undefined && environment !== null && typeof environment !== 'string') {
    return { ok: false, file, reason: 'upstream.environment must be a string' };
  }
  if (environment && !isValidName(environment)) {
    return { ok: false, file, reason: 'upstream.environment is not a valid environment name' };
  }
  return {
    ok: true,
    value: {
      upstream: { latest: latest === true, environment: environment || undefined },
      environmentGroup: environmentGroup || undefined,
      deployWindows,
      raw: record,
    },
  };
}
