// Reading objects for snapshots: the reads of one tick go to cat-file as one batch, every object
// is read with a bound (trees, metadata files, symlink targets), and trees come parsed. What was
// parsed from them is kept by key while recent snapshots use it. A read that failed is never
// kept: the next request reads again (a reader process that died once must not fail every later
// read).
import type { CatFileBatch, ObjectRead, ObjectRequest } from './catFileBatch.js';
import type { ObjectFormat } from './git.js';
import { parseTree, type Tree, UnreadableTreeError } from './treeParser.js';

/** The largest tree read (an `applications` tree of 10,000 apps is ~0.5 MiB). */
const TREE_MAX_BYTES = 32 * 1024 * 1024;
/** Trees per round trip of a large batch (one environment's apps at Kuberpult scale). */
const TREES_PER_CHUNK = 1000;

/** A blob's text, or its size when it is over the limit it was read with. */
export type BlobText =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly size: number };

/** Values by key, kept while the snapshots that use them are recent. */
export class GenerationalCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  get(key: string): V | undefined {
    const value = this.current.get(key) ?? this.previous.get(key);
    if (value !== undefined) this.current.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.current.set(key, value);
  }

  /** Forgets `value` under `key` (and nothing that replaced it meanwhile). */
  forget(key: string, value: V): void {
    if (this.current.get(key) === value) this.current.delete(key);
    if (this.previous.get(key) === value) this.previous.delete(key);
  }

  /** Called once per snapshot read: what the last two reads did not use is let go. */
  nextGeneration(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

/** Keeps a pending read in the cache, so that reads meanwhile share it, until it fails. */
export function keepUnlessFailed<V>(
  cache: GenerationalCache<Promise<V>>,
  key: string,
  value: Promise<V>,
): void {
  cache.set(key, value);
  value.catch(() => cache.forget(key, value));
}

/** The cached value, or the read of it (kept unless it fails). */
export function cachedRead<V>(
  cache: GenerationalCache<Promise<V>>,
  key: string,
  read: () => Promise<V>,
): Promise<V> {
  let value = cache.get(key);
  if (value === undefined) {
    value = read();
    keepUnlessFailed(cache, key, value);
  }
  return value;
}

/** Trees and texts of objects, the reads of one tick coalesced into one cat-file round trip. */
export class ObjectLoader {
  private queue: {
    request: ObjectRequest;
    resolve: (object: ObjectRead | undefined) => void;
    reject: (e: Error) => void;
  }[] = [];
  private readonly hashBytes: number;

  constructor(
    private readonly objects: CatFileBatch,
    objectFormat: ObjectFormat,
  ) {
    this.hashBytes = objectFormat === 'sha256' ? 32 : 20;
  }

  /**
   * A tree by id or revision expression, parsed. `path`: where the tree is in the repo, named
   * when it is malformed (UnreadableTreeError); a missing object is an I/O error.
   */
  async tree(name: string, path: string): Promise<Tree> {
    return this.parse(await this.load(name, TREE_MAX_BYTES), name, path);
  }

  /**
   * Trees in one round trip of their own: each parsed, or the UnreadableTreeError it cannot be
   * read with. A missing object fails them all.
   */
  async trees(items: readonly { oid: string; path: string }[]): Promise<(Tree | UnreadableTreeError)[]> {
    // Asked for all at once, answered in chunks: each is parsed while git writes the next.
    const chunks: (typeof items)[] = [];
    for (let start = 0; start < items.length; start += TREES_PER_CHUNK) {
      chunks.push(items.slice(start, start + TREES_PER_CHUNK));
    }
    const parsed = await Promise.all(
      chunks.map(async (chunk) => {
        const objects = await this.objects.readMany(
          chunk.map(({ oid }) => ({ name: oid, maxBytes: TREE_MAX_BYTES })),
        );
        return chunk.map(({ oid, path }, index) => {
          try {
            return this.parse(objects[index], oid, path);
          } catch (error) {
            if (error instanceof UnreadableTreeError) return error;
            throw error;
          }
        });
      }),
    );
    return parsed.flat();
  }

  /** A blob's text, or its size when it is larger than `maxBytes`. */
  async text(oid: string, maxBytes: number): Promise<BlobText> {
    return blobText(await this.load(oid, maxBytes), oid);
  }

  /** Blob texts in one round trip of their own, each its own promise (to be cached one by one). */
  texts(oids: readonly string[], maxBytes: number): Promise<BlobText>[] {
    const read = this.objects.readMany(oids.map((oid) => ({ name: oid, maxBytes })));
    return oids.map((oid, index) => read.then((objects) => blobText(objects[index], oid)));
  }

  private load(name: string, maxBytes: number): Promise<ObjectRead | undefined> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ request: { name, maxBytes }, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.objects.readMany(batch.map((item) => item.request)).then(
      (objects) => {
        batch.forEach((item, index) => {
          item.resolve(objects[index]);
        });
      },
      (error: Error) => {
        for (const item of batch) item.reject(error);
      },
    );
  }

  private parse(object: ObjectRead | undefined, name: string, path: string): Tree {
    // A missing object is git's own corruption (or a repository changing under us): an I/O error.
    if (!object) throw new Error(`git object ${name} is missing`);
    if (object.type !== 'tree')
      throw new UnreadableTreeError(path, `must be a git tree, not a ${object.type}`);
    if (object.oversized) {
      throw new UnreadableTreeError(
        path,
        `git tree of ${object.size} bytes, more than the ${TREE_MAX_BYTES} bytes a tree may have`,
      );
    }
    return parseTree(object.content, this.hashBytes, path);
  }
}

function blobText(object: ObjectRead | undefined, oid: string): BlobText {
  if (!object) throw new Error(`git object ${oid} is missing`);
  return object.oversized
    ? { ok: false, size: object.size }
    : { ok: true, text: object.content.toString('utf8') };
}
