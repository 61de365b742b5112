// The binary git tree format, `<mode> SP <name> NUL <hash>` per entry, parsed with every field
// bounds-checked: trees can come from outside (a push, a fetch without fsck, `hash-object
// --literally`), and a malformed one is a corrupt repo naming the tree, never a loop or a guess.
import { CorruptRepoError } from '../errors.js';
import type { EntryKind } from '../planning/layout.js';

export interface TreeEntry {
  /** Without leading zeros (old tools wrote `040000`): `40000`, `100644`, `100755`, `120000`, `160000`. */
  readonly mode: string;
  readonly kind: EntryKind;
  readonly name: string;
  readonly oid: string;
}

export type Tree = ReadonlyMap<string, TreeEntry>;

const KIND_OF_MODE: Readonly<Record<string, EntryKind>> = {
  '40000': 'tree',
  '100644': 'file',
  '100755': 'file',
  // Written by very old git versions; git still reads it as a plain file.
  '100664': 'file',
  '120000': 'symlink',
  '160000': 'submodule',
};

const SPACE = 0x20;
const SLASH = 0x2f;

/** `path`: where the tree is in the repo ('/' for the root), named by the error when it is malformed. */
export function parseTree(content: Buffer, hashBytes: number, path: string): Tree {
  const entries = new Map<string, TreeEntry>();
  let offset = 0;
  const malformed = (what: string) =>
    new UnreadableTreeError(path, `malformed git tree: ${what} (entry at byte ${offset})`);
  while (offset < content.length) {
    const space = content.indexOf(SPACE, offset);
    if (space < 0) throw malformed('no space after the mode');
    if (space === offset || space - offset > 6) throw malformed('the mode is not 1 to 6 octal digits');
    for (let index = offset; index < space; index++) {
      const digit = content[index] as number;
      if (digit < 0x30 || digit > 0x37) throw malformed('the mode is not 1 to 6 octal digits');
    }
    const mode = content.toString('latin1', offset, space).replace(/^0+/, '');
    const kind = KIND_OF_MODE[mode];
    if (kind === undefined) throw malformed(`unknown mode ${content.toString('latin1', offset, space)}`);
    const nul = content.indexOf(0, space + 1);
    if (nul < 0) throw malformed('an entry name without its terminating NUL');
    if (nul === space + 1) throw malformed('an empty entry name');
    const end = nul + 1 + hashBytes;
    if (end > content.length) throw malformed('a truncated object id');
    const nameBytes = content.subarray(space + 1, nul);
    if (nameBytes.includes(SLASH)) throw malformed('an entry name with "/"');
    const name = nameBytes.toString('utf8');
    if (name === '.' || name === '..') throw malformed(`an entry named "${name}"`);
    // Two names that decode to the same text (invalid UTF-8) are a duplicate too.
    if (entries.has(name)) throw malformed(`a duplicate entry ${JSON.stringify(name)}`);
    entries.set(name, { mode, kind, name, oid: content.toString('hex', nul + 1, end) });
    offset = end;
  }
  return entries;
}

/** A tree that cannot be read as one: malformed, too large, or not a tree object at all. */
export class UnreadableTreeError extends CorruptRepoError {
  constructor(
    file: string,
    readonly reason: string,
  ) {
    super(file, reason);
    this.name = 'UnreadableTreeError';
  }
}
