// The binary git tree format, `<mode> SP <name> NUL <hash>` per entry, parsed with every field
// bounds-checked: trees can come from outside (a push, a fetch without fsck, `hash-object
// --literally`), and a malformed one is a corrupt repo naming the tree, never a loop or a guess.
import { CorruptRepoError } from '../domain/errors.js';
import type { EntryKind } from '../planning/layout.js';

export interface TreeEntry {
  /** Without leading zeros (old tools wrote `040000`): `40000`, `100644`, `100755`, `120000`, `160000`. */
  readonly mode: string;
  readonly kind: EntryKind;
  readonly name: string;
  readonly oid: string;
}

export type Tree = ReadonlyMap<string, TreeEntry>;

/** The kind of an entry by its mode as git writes it; undefined for a mode git does not know. */
function kindOfMode(mode: string): EntryKind | undefined {
  switch (mode) {
    case '40000':
      return 'tree';
    case '100644':
    case '100755':
    // Written by very old git versions; git still reads it as a plain file.
    case '100664':
      return 'file';
    case '120000':
      return 'symlink';
    case '160000':
      return 'submodule';
    default:
      return undefined;
  }
}

const SPACE = 0x20;

/** `path`: where the tree is in the repo ('/' for the root), named by the error when it is malformed. */
export function parseTree(content: Buffer, hashBytes: number, path: string): Tree {
  const entries = new Map<string, TreeEntry>();
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(SPACE, offset);
    if (space < 0) throw malformed(path, offset, 'no space after the mode');
    const written = content.toString('latin1', offset, space);
    let mode = written;
    let kind = kindOfMode(written);
    if (kind === undefined) {
      // Zero-padded (old tools wrote `040000`), or not a mode at all.
      if (!/^[0-7]{1,6}$/.test(written)) throw malformed(path, offset, 'the mode is not 1 to 6 octal digits');
      mode = written.replace(/^0+/, '');
      kind = kindOfMode(mode);
      if (kind === undefined) throw malformed(path, offset, `unknown mode ${written}`);
    }
    const nul = content.indexOf(0, space + 1);
    if (nul < 0) throw malformed(path, offset, 'an entry name without its terminating NUL');
    if (nul === space + 1) throw malformed(path, offset, 'an empty entry name');
    const end = nul + 1 + hashBytes;
    if (end > content.length) throw malformed(path, offset, 'a truncated object id');
    const name = content.toString('utf8', space + 1, nul);
    // A "/" byte decodes to "/" whatever surrounds it (UTF-8 continuation bytes are never 0x2f).
    if (name.includes('/')) throw malformed(path, offset, 'an entry name with "/"');
    if (name === '.' || name === '..') throw malformed(path, offset, `an entry named "${name}"`);
    const size = entries.size;
    entries.set(name, { mode, kind, name, oid: content.toString('hex', nul + 1, end) });
    // Two names that decode to the same text (invalid UTF-8) are a duplicate too.
    if (entries.size === size) throw malformed(path, offset, `a duplicate entry ${JSON.stringify(name)}`);
    offset = end;
  }
  return entries;
}

function malformed(path: string, offset: number, what: string): UnreadableTreeError {
  return new UnreadableTreeError(path, `malformed git tree: ${what} (entry at byte ${offset})`);
}

/** A tree that cannot be read as one: malformed, too large, or not a tree object at all. */
export class UnreadableTreeError extends CorruptRepoError {
  constructor(file: string, reason: string) {
    super(file, reason);
    this.name = 'UnreadableTreeError';
  }
}
