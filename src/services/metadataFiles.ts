// Small metadata files read in one batch (a release's display version, a deployment's author):
// their text, and fields that are left out when empty.
import { CorruptRepoError } from '../domain/errors.js';
import type { ObjectRead } from '../manifest/catFileBatch.js';
import { METADATA_MAX_BYTES, tooLarge } from '../planning/layout.js';

/** The text of a file, undefined when there is none; a directory where the file belongs is corrupt. */
export function fileText(found: ReadonlyMap<string, ObjectRead>, path: string): string | undefined {
  const object = found.get(path);
  if (!object) return undefined;
  if (object.type !== 'blob') throw new CorruptRepoError(path, `a ${object.type} where a file belongs`);
  if (object.oversized) throw new CorruptRepoError(path, tooLarge(object.size, METADATA_MAX_BYTES));
  return object.content.toString('utf8');
}

/** Go's omitempty: an empty string is left out like a missing one. */
export function present<K extends string>(key: K, value: string | undefined): { [key in K]?: string } {
  return value ? ({ [key]: value } as { [key in K]: string }) : {};
}
