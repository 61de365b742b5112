// Reading rules of manifest-repo.md that do not depend on how the files were read.

import { parseReleaseNumber } from '../schemas/names.js';
import type { Application, EnvironmentConfig, Lock, Readable } from './model.js';

export const SYMLINK_MODE = '120000';

/** The files of a lock directory and the Lock field each one holds; other files are ignored. */
export const LOCK_FIELD_FILES: Readonly<Record<string, keyof Lock>> = {
  message: 'message',
  created_by_name: 'createdByName',
  created_by_email: 'createdByEmail',
  created_at: 'createdAt',
  ci_link: 'ciLink',
  suggested_lifetime: 'suggestedLifetime',
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
  const record = raw as Record<string, unknown>;
  const { upstream, environmentGroup } = record;
  if (environmentGroup !== undefined && environmentGroup !== null && typeof environmentGroup !== 'string') {
    return { ok: false, file, reason: 'environmentGroup must be a string' };
  }
  if (upstream === undefined || upstream === null) {
    return {
      ok: true,
      value: { upstream: null, environmentGroup: environmentGroup || undefined, raw: record },
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
  return {
    ok: true,
    value: {
      upstream: { latest: latest === true, environment: environment || undefined },
      environmentGroup: environmentGroup || undefined,
      raw: record,
    },
  };
}
