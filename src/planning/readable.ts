import { CorruptRepoError } from '../domain/errors.js';
import type { LockMap, Readable, Release } from './model.js';

/** No locks: one shared value (a snapshot at scale has tens of thousands of lock-free directories). */
export const EMPTY_LOCKS: Readable<LockMap> = { ok: true, value: new Map() };

/** The value, or the corrupt-repo error naming the file it came from. */
export function mustRead<T>(readable: Readable<T>): T {
  if (readable.ok) return readable.value;
  throw new CorruptRepoError(readable.file, readable.reason);
}

export function compareNames(a: string, b: string): number {
  // Names are ASCII, so UTF-16 order is byte order.
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedKeys<K extends string>(map: ReadonlyMap<K, unknown>): K[] {
  return [...map.keys()].sort(compareNames);
}

/** The manifests of a release the caller made sure were read (see ManifestRepository.loadReleases). */
export function loadedManifests(release: Release): ReadonlyMap<string, string> {
  if (release.manifests === undefined) throw new Error(`release ${release.version} was not loaded`);
  return release.manifests;
}

/** Whether a release the caller made sure was read is an undeploy version. */
export function loadedUndeploy(release: Release): boolean {
  if (release.undeploy === undefined) throw new Error(`release ${release.version} was not loaded`);
  return release.undeploy;
}
