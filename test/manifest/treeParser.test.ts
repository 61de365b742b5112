// The git tree parser on trees of any bytes (git accepts them with `hash-object --literally`, and
// a fetch does not fsck by default): every malformation is a corrupt repo naming the tree.
import { describe, expect, it } from 'vitest';
import { parseTree, UnreadableTreeError } from '../../src/manifest/treeParser.js';

const HASH = Buffer.alloc(20, 0xab);
const HASH_HEX = 'ab'.repeat(20);

function entry(mode: string, name: string | Buffer, hash: Buffer = HASH): Buffer {
  return Buffer.concat([Buffer.from(`${mode} `), Buffer.from(name), Buffer.from([0]), hash]);
}

function parseError(content: Buffer): UnreadableTreeError {
  try {
    parseTree(content, 20, 'environments/dev/locks');
  } catch (error) {
    if (error instanceof UnreadableTreeError) return error;
    throw error;
  }
  throw new Error('the tree parsed');
}

describe('parseTree', () => {
  it('reads every entry with its kind, normalising zero-padded modes', () => {
    const tree = parseTree(
      Buffer.concat([
        entry('040000', 'old-style-dir'),
        entry('100644', 'file'),
        entry('100755', 'script'),
        entry('120000', 'link'),
        entry('160000', 'submodule'),
        entry('40000', 'dir'),
      ]),
      20,
      'x',
    );
    expect([...tree.values()]).toEqual([
      { mode: '40000', kind: 'tree', name: 'old-style-dir', oid: HASH_HEX },
      { mode: '100644', kind: 'file', name: 'file', oid: HASH_HEX },
      { mode: '100755', kind: 'file', name: 'script', oid: HASH_HEX },
      { mode: '120000', kind: 'symlink', name: 'link', oid: HASH_HEX },
      { mode: '160000', kind: 'submodule', name: 'submodule', oid: HASH_HEX },
      { mode: '40000', kind: 'tree', name: 'dir', oid: HASH_HEX },
    ]);
  });

  it('reads small and large trees alike: lookups, order, size', () => {
    for (const count of [1, 8, 9, 40]) {
      const names = Array.from({ length: count }, (_, index) => `entry-${String(index).padStart(2, '0')}`);
      const tree = parseTree(Buffer.concat(names.map((name) => entry('100644', name))), 20, 'x');
      expect(tree.size).toBe(count);
      expect([...tree.keys()]).toEqual(names);
      expect([...tree].map(([name, { oid }]) => [name, oid])).toEqual(names.map((name) => [name, HASH_HEX]));
      expect(tree.get(names[count - 1] as string)?.name).toBe(names[count - 1]);
      expect(tree.has('missing')).toBe(false);
      expect(new Map(tree).size).toBe(count);
    }
  });

  it('reads a name with a newline as the name it is (the reader decides what to do with it)', () => {
    expect([...parseTree(entry('100644', 'bad\nname'), 20, 'x').keys()]).toEqual(['bad\nname']);
  });

  const malformed: [string, Buffer, RegExp][] = [
    ['a name without its NUL (this looped for good)', Buffer.from('100644 message'), /terminating NUL/],
    ['no space after the mode', Buffer.from('100644'), /no space/],
    ['an empty mode', Buffer.concat([Buffer.from(' name\0'), HASH]), /octal/],
    ['a mode that is not octal', entry('10064x', 'name'), /octal/],
    ['a mode that is too long', entry('1006440', 'name'), /octal/],
    ['an unknown mode', entry('100600', 'name'), /unknown mode 100600/],
    ['a truncated object id', entry('100644', 'name', HASH.subarray(0, 7)), /truncated/],
    ['an empty name', entry('100644', ''), /empty entry name/],
    ['a name with a slash', entry('100644', 'a/b'), /"\/"/],
    ['a name ..', entry('40000', '..'), /"\.\."/],
    ['a duplicate name', Buffer.concat([entry('100644', 'same'), entry('40000', 'same')]), /duplicate/],
    [
      'a duplicate name in a large tree',
      Buffer.concat([
        ...Array.from({ length: 12 }, (_, index) => entry('100644', `n${index}`)),
        entry('100644', 'n3'),
      ]),
      /duplicate entry "n3"/,
    ],
    [
      'a duplicate name where a small tree becomes a large one',
      Buffer.concat([
        ...Array.from({ length: 8 }, (_, index) => entry('100644', `n${index}`)),
        entry('100644', 'n0'),
      ]),
      /duplicate entry "n0"/,
    ],
    ['garbage after a good entry', Buffer.concat([entry('100644', 'good'), Buffer.from('xyz')]), /no space/],
  ];
  for (const [what, content, reason] of malformed) {
    it(`refuses ${what}, naming the tree`, () => {
      const error = parseError(content);
      expect(error.code).toBe('MANIFEST_REPO_CORRUPT');
      expect(error.file).toBe('environments/dev/locks');
      expect(error.reason).toMatch(reason);
      expect(error.message).toContain('environments/dev/locks');
    });
  }
});
