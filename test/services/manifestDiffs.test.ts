// The text side of manifest diffs: the unified diff of two manifests (jsdiff, with a fallback when
// a minimal diff costs too much) and the cut at a byte bound. Answers over HTTP: test/http/plans.test.ts.
import { applyPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { cutAt, unifiedDiff } from '../../src/services/manifestDiffs.js';

const PATH = 'environments/qa/applications/api/manifests/manifests.yaml';

/** Lines that share nothing: a minimal diff of two of them would take thousands of edits. */
function unrelatedLines(count: number, label: string): string {
  return Array.from({ length: count }, (_, index) => `${label}-${(index * 7919) % count}\n`).join('');
}

describe('unifiedDiff', () => {
  it('is "" for the same text, headers and hunks with 3 lines of context otherwise', () => {
    expect(unifiedDiff(PATH, 'a\nb\n', 'a\nb\n')).toBe('');
    const before = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n';
    expect(unifiedDiff(PATH, before, before.replace('l5', 'five'))).toBe(
      [
        `--- ${PATH}`,
        `+++ ${PATH}`,
        '@@ -2,7 +2,7 @@',
        ' l2',
        ' l3',
        ' l4',
        '-l5',
        '+five',
        ' l6',
        ' l7',
        ' l8',
        '',
      ].join('\n'),
    );
  });

  it('replaces every line in one hunk when a minimal diff would take over 1,000 edits, still a valid patch', () => {
    for (const [before, after] of [
      [unrelatedLines(3000, 'old'), unrelatedLines(3000, 'new')],
      [unrelatedLines(3000, 'old'), `${unrelatedLines(2000, 'new')}no newline at the end`],
      ['', unrelatedLines(10, 'new')],
    ] as const) {
      const diff = unifiedDiff(PATH, before, after);
      expect(applyPatch(before, diff)).toBe(after);
    }
    const replaced = unifiedDiff(PATH, unrelatedLines(3000, 'old'), unrelatedLines(3000, 'new'));
    expect(replaced.split('\n')[2]).toBe('@@ -1,3000 +1,3000 @@');
  });
});

describe('cutAt', () => {
  it('keeps a text within the bound as it is', () => {
    expect(cutAt('a\nb\n', 4)).toEqual({ text: 'a\nb\n', truncated: false });
  });

  it('cuts at the last line end within the bound, else at the last whole character', () => {
    expect(cutAt('aa\nbb\ncc\n', 7)).toEqual({ text: 'aa\nbb\n', truncated: true });
    // One line longer than the bound, with characters of 2 and 4 bytes at the cut.
    expect(cutAt('ééé', 3)).toEqual({ text: 'é', truncated: true });
    expect(cutAt('a😀b', 4)).toEqual({ text: 'a', truncated: true });
    const cut = cutAt(`${'ü'.repeat(40_000)}\n`, 64 * 1024);
    expect(Buffer.byteLength(cut.text)).toBeLessThanOrEqual(64 * 1024);
    expect(cut.text).toBe('ü'.repeat(32 * 1024));
  });
});
