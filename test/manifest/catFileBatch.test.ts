// The long-lived cat-file reader against real git: many objects in one batch (headers and
// contents split over the pipe's chunks), missing names, empty and oversized objects, and batches
// asked for while others are under way, each answered in the order asked.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../../src/manifest/catFileBatch.js';
import { git } from '../support/gitFixture.js';
import { closeAll, tempDir } from './support.js';

let repo: string;
interface Blob {
  readonly oid: string;
  readonly text: string;
}
const blobs: Blob[] = [];
let reader: CatFileBatch;

beforeAll(async () => {
  repo = await tempDir();
  git(repo, ['init', '--quiet', '--bare']);
  // One hash-object process for all of them; sizes from 0 to a few KiB.
  const texts = Array.from({ length: 3000 }, (_, index) => `blob ${index}\n`.repeat(index % 97));
  const paths = texts.map((text, index) => {
    const path = join(repo, `input-${index}`);
    writeFileSync(path, text);
    return path;
  });
  const oids = git(repo, ['hash-object', '-w', '--stdin-paths'], `${paths.join('\n')}\n`)
    .trim()
    .split('\n');
  for (const [index, oid] of oids.entries()) blobs.push({ oid, text: texts[index] as string });
  reader = new CatFileBatch(repo);
});

afterAll(async () => {
  reader.close();
  await closeAll();
});

describe('CatFileBatch', () => {
  it('answers thousands of objects of one batch in the order asked, contents whole', async () => {
    const read = await reader.readMany(blobs.map(({ oid }) => ({ name: oid, maxBytes: 1 << 20 })));
    expect(read).toHaveLength(blobs.length);
    read.forEach((object, index) => {
      const { oid, text } = blobs[index] as Blob;
      expect(object).toMatchObject({ oid, type: 'blob', size: Buffer.byteLength(text), oversized: false });
      expect(object?.oversized === false && object.content.toString()).toBe(text);
    });
  });

  it('answers a missing name as undefined among the others, and an object over the limit by its size alone', async () => {
    const large = blobs[96] as Blob;
    const read = await reader.readMany([
      { name: (blobs[1] as Blob).oid, maxBytes: 100 },
      { name: '0'.repeat(40), maxBytes: 100 },
      { name: 'no-such-branch:some/path', maxBytes: 100 },
      { name: large.oid, maxBytes: 10 },
      { name: (blobs[0] as Blob).oid, maxBytes: 0 },
    ]);
    expect(read[0]).toMatchObject({ type: 'blob', oversized: false });
    expect(read[1]).toBeUndefined();
    expect(read[2]).toBeUndefined();
    expect(read[3]).toEqual({
      oid: large.oid,
      type: 'blob',
      size: Buffer.byteLength(large.text),
      oversized: true,
    });
    // The empty blob fits any limit.
    expect(read[4]).toMatchObject({ size: 0, oversized: false });
  });

  it('keeps batches asked for at once apart', async () => {
    const batches = [0, 1, 2, 3].map((start) =>
      blobs.filter((_, index) => index % 4 === start).map(({ oid }) => ({ name: oid, maxBytes: 1 << 20 })),
    );
    const answers = await Promise.all(batches.map((batch) => reader.readMany(batch)));
    answers.forEach((answer, batch) => {
      expect(answer.map((object) => object?.oid)).toEqual(batches[batch]?.map(({ name }) => name));
    });
  });
});
