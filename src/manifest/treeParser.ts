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

/** The modes git knows, by value (`040000`, written by old tools, is `40000`), as shared strings. */
const MODES = new Map<number, { readonly mode: string; readonly kind: EntryKind }>([
  [0o40000, { mode: '40000', kind: 'tree' }],
  [0o100644, { mode: '100644', kind: 'file' }],
  [0o100755, { mode: '100755', kind: 'file' }],
  // Written by very old git versions; git still reads it as a plain file.
  [0o100664, { mode: '100664', kind: 'file' }],
  [0o120000, { mode: '120000', kind: 'symlink' }],
  [0o160000, { mode: '160000', kind: 'submodule' }],
]);
const MODE_MAX_DIGITS = 6;

const SPACE = 0x20;

/**
 * Trees of at most this many entries are kept in an array, not a hash map: most trees of a cold
 * read are an app's directory in an environment (5 entries) or a release's directory for one
 * environment (1), tens of thousands of each at Kuberpult scale.
 */
const SMALL_TREE_MAX_ENTRIES = 8;

/** `path`: where the tree is in the repo ('/' for the root), named by the error when it is malformed. */
export function parseTree(content: Buffer, hashBytes: number, path: string): Tree {
  const list: TreeEntry[] = [];
  let entries: Map<string, TreeEntry> | undefined;
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(SPACE, offset);
    if (space < 0) throw malformed(path, offset, 'no space after the mode');
    // Read digit by digit: no string is made for the mode of an entry.
    let value = space - offset <= MODE_MAX_DIGITS && space > offset ? 0 : -1;
    for (let index = offset; index < space && value >= 0; index++) {
      const digit = (content[index] as number) - 0x30;
      value = digit >= 0 && digit <= 7 ? value * 8 + digit : -1;
    }
    if (value < 0) throw malformed(path, offset, 'the mode is not 1 to 6 octal digits');
    const known = MODES.get(value);
    if (!known) throw malformed(path, offset, `unknown mode ${content.toString('latin1', offset, space)}`);
    const { mode, kind } = known;
    const nul = content.indexOf(0, space + 1);
    if (nul < 0) throw malformed(path, offset, 'an entry name without its terminating NUL');
    if (nul === space + 1) throw malformed(path, offset, 'an empty entry name');
    const end = nul + 1 + hashBytes;
    if (end > content.length) throw malformed(path, offset, 'a truncated object id');
    const name = content.toString('utf8', space + 1, nul);
    // A "/" byte decodes to "/" whatever surrounds it (UTF-8 continuation bytes are never 0x2f).
    if (name.includes('/')) throw malformed(path, offset, 'an entry name with "/"');
    if (name === '.' || name === '..') throw malformed(path, offset, `an entry named "${name}"`);
    // Two names that decode to the same text (invalid UTF-8) are a duplicate too.
    const duplicate = entries ? entries.has(name) : list.some((entry) => entry.name === name);
    if (duplicate) throw malformed(path, offset, `a duplicate entry ${JSON.stringify(name)}`);
    const entry: TreeEntry = { mode, kind, name, oid: content.toString('hex', nul + 1, end) };
    if (entries) entries.set(name, entry);
    else {
      list.push(entry);
      if (list.length > SMALL_TREE_MAX_ENTRIES) entries = new Map(list.map((each) => [each.name, each]));
    }
    offset = end;
  }
  return entries ?? new SmallTree(list);
}

/** A tree of a few entries, in tree order, looked up by a scan (see SMALL_TREE_MAX_ENTRIES). */
class SmallTree implements ReadonlyMap<string, TreeEntry> {
  constructor(private readonly list: readonly TreeEntry[]) {}

  get size(): number {
    return this.list.length;
  }

  get(name: string): TreeEntry | undefined {
    for (const entry of this.list) if (entry.name === name) return entry;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  values(): MapIterator<TreeEntry> {
    return this.list.values();
  }

  keys(): MapIterator<string> {
    return this.list.map((entry) => entry.name).values();
  }

  entries(): MapIterator<[string, TreeEntry]> {
    return this.list.map((entry): [string, TreeEntry] => [entry.name, entry]).values();
  }

  [Symbol.iterator](): MapIterator<[string, TreeEntry]> {
    return this.entries();
  }

  forEach(callback: (value: TreeEntry, key: string, map: ReadonlyMap<string, TreeEntry>) => void): void {
    for (const entry of this.list) callback(entry, entry.name, this);
  }
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
