// Reading objects for snapshots: the reads of one tick go to cat-file as one batch, and what was
// parsed from them is kept by key while recent snapshots use it. A read that failed is never
// kept: the next request reads again (a reader process that died once must not fail every later
// read).
import type { CatFileBatch, ObjectRead, ObjectRequest } from './catFileBatch.js';

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

/** Coalesces the object reads of one tick into one cat-file round trip. */
export class ObjectLoader {
  private queue: {
    request: ObjectRequest;
    resolve: (object: ObjectRead | undefined) => void;
    reject: (e: Error) => void;
  }[] = [];

  constructor(private readonly objects: CatFileBatch) {}

  load(name: string, maxBytes: number): Promise<ObjectRead | undefined> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ request: { name, maxBytes }, resolve, reject });
    });
  }

  /** Many objects in one round trip of their own. */
  loadMany(requests: readonly ObjectRequest[]): Promise<(ObjectRead | undefined)[]> {
    return this.objects.readMany(requests);
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
}
