// Files of a Kuberpult-layout manifest repo from a compact description, for fixtures.
import type { FixtureFiles } from './gitFixture.js';

export interface LockFixture {
  message?: string;
  createdByName?: string;
  createdByEmail?: string;
  createdAt?: string;
  ciLink?: string;
  suggestedLifetime?: string;
  /** Written as valid_from / valid_until (a timed lock). */
  validFrom?: string;
  validUntil?: string;
}

export interface EnvironmentFixture {
  /** Written as config.json (a string is written as it is); absent: no config.json. */
  config?: object | string;
  locks?: Record<string, LockFixture>;
  teamLocks?: Record<string, Record<string, LockFixture>>;
  /** app -> deployed version (a version symlink and a manifests copy). */
  deployed?: Record<string, number>;
  queued?: Record<string, number>;
  appLocks?: Record<string, Record<string, LockFixture>>;
}

export interface AppFixture {
  team?: string;
  /** version -> environments the release has a manifest for (content: a small YAML naming both). */
  releases: Record<number, string[]>;
}

export interface LayoutFixture {
  environments?: Record<string, EnvironmentFixture>;
  apps?: Record<string, AppFixture>;
}

export const LOCK_DEFAULTS = {
  message: 'locked for a test',
  createdByName: 'Ana',
  createdByEmail: 'ana@example.com',
  createdAt: '2026-11-20T09:00:00Z',
};

export function manifestContent(app: string, version: number, environment: string): string {
  return `app: ${app}\nversion: ${version}\nenvironment: ${environment}\n`;
}

export function layoutFiles({ environments = {}, apps = {} }: LayoutFixture): FixtureFiles {
  const files: FixtureFiles = {};
  const lockFiles = (path: string, lock: LockFixture) => {
    const full = { ...LOCK_DEFAULTS, ...lock };
    files[`${path}/message`] = full.message;
    files[`${path}/created_by_name`] = full.createdByName;
    files[`${path}/created_by_email`] = full.createdByEmail;
    files[`${path}/created_at`] = full.createdAt;
    if (full.ciLink !== undefined) files[`${path}/ci_link`] = full.ciLink;
    if (full.suggestedLifetime !== undefined) files[`${path}/suggested_lifetime`] = full.suggestedLifetime;
    if (full.validFrom !== undefined) files[`${path}/valid_from`] = full.validFrom;
    if (full.validUntil !== undefined) files[`${path}/valid_until`] = full.validUntil;
  };
  for (const [app, { team, releases }] of Object.entries(apps)) {
    if (team !== undefined) files[`applications/${app}/team`] = team;
    for (const [version, envs] of Object.entries(releases)) {
      const release = `applications/${app}/releases/${version}`;
      files[`${release}/created_at`] = '2026-11-01T00:00:00Z';
      for (const env of envs) {
        files[`${release}/environments/${env}/manifests.yaml`] = manifestContent(app, Number(version), env);
      }
    }
  }
  for (const [env, fixture] of Object.entries(environments)) {
    const envPath = `environments/${env}`;
    if (fixture.config !== undefined) {
      files[`${envPath}/config.json`] =
        typeof fixture.config === 'string' ? fixture.config : `${JSON.stringify(fixture.config, null, 2)}\n`;
    }
    for (const [lockId, lock] of Object.entries(fixture.locks ?? {}))
      lockFiles(`${envPath}/locks/${lockId}`, lock);
    for (const [team, locks] of Object.entries(fixture.teamLocks ?? {})) {
      for (const [lockId, lock] of Object.entries(locks))
        lockFiles(`${envPath}/teams/${team}/locks/${lockId}`, lock);
    }
    for (const [app, locks] of Object.entries(fixture.appLocks ?? {})) {
      for (const [lockId, lock] of Object.entries(locks)) {
        lockFiles(`${envPath}/applications/${app}/locks/${lockId}`, lock);
      }
    }
    for (const [app, version] of Object.entries(fixture.deployed ?? {})) {
      const appPath = `${envPath}/applications/${app}`;
      files[`${appPath}/version`] = { symlink: `../../../../applications/${app}/releases/${version}` };
      files[`${appPath}/manifests/manifests.yaml`] = manifestContent(app, version, env);
      files[`${appPath}/deployed_by`] = 'Fixture Author';
      files[`${appPath}/deployed_by_email`] = 'fixture@example.com';
      files[`${appPath}/deployed_at_utc`] = '2026-11-01T00:00:00.000Z';
    }
    for (const [app, version] of Object.entries(fixture.queued ?? {})) {
      files[`${envPath}/applications/${app}/queued_version`] = {
        symlink: `../../../../applications/${app}/releases/${version}`,
      };
    }
  }
  return files;
}
