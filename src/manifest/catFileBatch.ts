// One long-lived `git cat-file --batch-command --buffer` process answers every object read of a
// repository: a batch of reads is one write and one flush, instead of a process (or a flush)
// per object. Objects are streamed: each is collected in one buffer of its announced size (or
// skipped unread when it is over the read's limit), so a large object costs time linear in its
// size and an object pushed to exhaust memory is never held.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawnGit } from './git.js';

export interface GitObject {
  readonly oid: string;
  readonly type: string;
  readonly size: number;
  readonly oversized: false;
  readonly content: Buffer;
}

/** An object over the read's limit: skipped while streaming, only its header is known. */
export interface OversizedObject {
  readonly oid: string;
  readonly type: string;
  readonly size: number;
  readonly oversized: true;
}

export type ObjectRead = GitObject | OversizedObject;

export interface ObjectRequest {
  /** An object id or a revision expression (one line). */
  readonly name: string;
  /** The most bytes of content to take; a larger object is answered as oversized. */
  readonly maxBytes: number;
}

/** The `git cat-file` process failed (it exited, could not start, or answered garbage): an I/O error. */
export class CatFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatFileError';
  }
}

/** What of git's stderr is kept for the error message of a failed process. */
const STDERR_KEPT_BYTES = 4096;
/** A header line is `<oid> <type> <size>` or `<name> missing`; anything longer is not git talking. */
const HEADER_MAX_BYTES = 64 * 1024;
const OBJECT_TYPES = new Set(['blob', 'tree', 'commit', 'tag']);

export class CatFileBatch {
  private process: CatFileProcess | undefined;
  private requested = 0;

  constructor(readonly repoPath: string) {}

  /** Objects asked for so far, over every process (tests check that reads stay incremental). */
  get objectsRead(): number {
    return this.requested;
  }

  /** Reads an object by id or revision expression; undefined when it does not exist. */
  async read(name: string, maxBytes: number): Promise<ObjectRead | undefined> {
    const [object] = await this.readMany([{ name, maxBytes }]);
    return object;
  }

  /** Reads many objects in one round trip; results in the order asked. */
  readMany(requests: readonly ObjectRequest[]): Promise<(ObjectRead | undefined)[]> {
    if (requests.length === 0) return Promise.resolve([]);
    if (requests.some((request) => /[\r\n]/.test(request.name))) {
      return Promise.reject(new Error('object name must be one line'));
    }
    this.requested += requests.length;
    // A process that exited is replaced here: one failure does not fail every later read.
    if (!this.process?.acceptsReads) this.process = new CatFileProcess(this.repoPath);
    return this.process.readMany(requests);
  }

  close(): void {
    this.process?.close();
    this.process = undefined;
  }
}

const SPACE = 0x20;
const TYPES = [...OBJECT_TYPES].map((type) => ({ type, bytes: Buffer.from(type, 'latin1') }));
const MISSING_ENDINGS = [' missing', ' ambiguous'].map((ending) => Buffer.from(ending, 'latin1'));

/** Whether `line` holds `expected` at `start` (a loop: a native call costs more for a few bytes). */
function holds(line: Buffer, start: number, expected: Buffer): boolean {
  if (start < 0 || start + expected.length > line.length) return false;
  for (let index = 0; index < expected.length; index++) {
    if (line[start + index] !== expected[index]) return false;
  }
  return true;
}

/**
 * A header line `<oid> <type> <size>` in `line[start, end)`, or 'missing' for `<name> missing`
 * (or ambiguous), or undefined when it is neither: taken apart byte by byte, one per object read,
 * with no string made but the id.
 */
function parseHeader(
  line: Buffer,
  start: number,
  end: number,
): { oid: string; type: string; size: number } | 'missing' | undefined {
  if (
    MISSING_ENDINGS.some((ending) => end - ending.length >= start && holds(line, end - ending.length, ending))
  ) {
    return 'missing';
  }
  const idEnd = line.indexOf(SPACE, start);
  if (idEnd < 0 || idEnd >= end || (idEnd - start !== 40 && idEnd - start !== 64)) return undefined;
  const typeEnd = line.indexOf(SPACE, idEnd + 1);
  if (typeEnd < 0 || typeEnd >= end) return undefined;
  const type = TYPES.find(
    ({ bytes }) => bytes.length === typeEnd - idEnd - 1 && holds(line, idEnd + 1, bytes),
  )?.type;
  if (!type) return undefined;
  // A decimal size without leading zeros, as git writes it, and a safe integer (at most 15 digits).
  const digits = end - typeEnd - 1;
  if (digits < 1 || digits > 15 || (digits > 1 && line[typeEnd + 1] === 0x30)) return undefined;
  let size = 0;
  for (let index = typeEnd + 1; index < end; index++) {
    const digit = (line[index] as number) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    size = size * 10 + digit;
  }
  return { oid: line.toString('latin1', start, idEnd), type, size };
}

/** A header line as an error message shows it. */
function shownHeader(line: Buffer, start: number, end: number): string {
  return line.toString('latin1', start, Math.min(end, start + 200));
}

/** The reads of one `readMany`, answered together: one promise per batch, not one per object. */
class PendingBatch {
  readonly results: (ObjectRead | undefined)[];
  private unanswered: number;

  constructor(
    size: number,
    private readonly resolve: (objects: (ObjectRead | undefined)[]) => void,
    readonly reject: (error: Error) => void,
  ) {
    this.results = new Array<ObjectRead | undefined>(size);
    this.unanswered = size;
  }

  answer(index: number, object: ObjectRead | undefined): void {
    this.results[index] = object;
    if (--this.unanswered === 0) this.resolve(this.results);
  }
}

interface PendingRead {
  readonly maxBytes: number;
  readonly batch: PendingBatch;
  readonly index: number;
}

/** The object being streamed: its header, and where its content goes (nowhere when skipped). */
interface ObjectInFlight {
  readonly oid: string;
  readonly type: string;
  readonly size: number;
  readonly content: Buffer | undefined;
  remaining: number;
  readonly request: PendingRead;
}

/** One spawned process with its own queue of reads, so that a dying process fails only its own. */
class CatFileProcess {
  /** False once it exited or failed: new reads go to a new process. */
  acceptsReads = true;
  private failed = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: PendingRead[] = [];
  private pendingHead = 0;
  private stderr = '';
  private partialHeader: Buffer[] = [];
  private partialHeaderBytes = 0;
  private object: ObjectInFlight | undefined;
  /** The newline that follows every object's content is still to come. */
  private expectingNewline = false;

  constructor(repoPath: string) {
    // Its own process group, killed when the service exits (git.ts); a SIGKILLed service cannot do
    // that, and then cat-file ends on the end of its stdin.
    const child = spawnGit(repoPath, ['cat-file', '--batch-command', '--buffer']);
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < STDERR_KEPT_BYTES) {
        this.stderr += chunk.toString('utf8', 0, STDERR_KEPT_BYTES - this.stderr.length);
      }
    });
    child.stdin.on('error', () => {
      // The process is gone; its 'close' fails the reads with what it said.
    });
    child.on('error', (error) => this.fail(`git cat-file could not run: ${error.message}`));
    // Reads from now on go to a new process; the ones waiting here fail at 'close', with stderr.
    child.on('exit', () => {
      this.acceptsReads = false;
    });
    child.on('close', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const said = this.stderr.trim();
      this.fail(`git cat-file ${how}${said ? `: ${said}` : ''}`);
    });
    this.child = child;
  }

  readMany(requests: readonly ObjectRequest[]): Promise<(ObjectRead | undefined)[]> {
    const answered = new Promise<(ObjectRead | undefined)[]>((resolve, reject) => {
      const batch = new PendingBatch(requests.length, resolve, reject);
      for (let index = 0; index < requests.length; index++) {
        this.pending.push({ maxBytes: (requests[index] as ObjectRequest).maxBytes, batch, index });
      }
    });
    this.child.stdin.write(`${requests.map(({ name }) => `contents ${name}\n`).join('')}flush\n`);
    return answered;
  }

  close(): void {
    this.child.stdin.end();
    this.fail('git cat-file process closed');
  }

  private onData(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.failed) {
      const object = this.object;
      if (object) {
        const take = Math.min(object.remaining, chunk.length - offset);
        object.content?.set(chunk.subarray(offset, offset + take), object.size - object.remaining);
        object.remaining -= take;
        offset += take;
        if (object.remaining > 0) return;
        this.object = undefined;
        this.expectingNewline = true;
        const { oid, type, size, content, request } = object;
        request.batch.answer(
          request.index,
          content === undefined
            ? { oid, type, size, oversized: true }
            : { oid, type, size, oversized: false, content },
        );
        continue;
      }
      if (this.expectingNewline) {
        if (chunk[offset] !== 0x0a) {
          this.protocolError('no newline after an object');
          return;
        }
        this.expectingNewline = false;
        offset++;
        continue;
      }
      const headerEnd = chunk.indexOf(0x0a, offset);
      if (headerEnd < 0) {
        this.partialHeader.push(chunk.subarray(offset));
        this.partialHeaderBytes += chunk.length - offset;
        if (this.partialHeaderBytes > HEADER_MAX_BYTES) this.protocolError('a header line without end');
        return;
      }
      let header = chunk;
      let headerStart = offset;
      let headerStop = headerEnd;
      if (this.partialHeaderBytes > 0) {
        header = Buffer.concat([...this.partialHeader, chunk.subarray(offset, headerEnd)]);
        headerStart = 0;
        headerStop = header.length;
        this.partialHeader = [];
        this.partialHeaderBytes = 0;
      }
      offset = headerEnd + 1;
      const request = this.next();
      if (!request) {
        this.protocolError(`an answer to no request: ${shownHeader(header, headerStart, headerStop)}`);
        return;
      }
      const parsed = parseHeader(header, headerStart, headerStop);
      if (parsed === 'missing') {
        request.batch.answer(request.index, undefined);
        continue;
      }
      if (!parsed) {
        this.protocolError(`unexpected output: ${shownHeader(header, headerStart, headerStop)}`);
        return;
      }
      const { oid, type, size } = parsed;
      const wanted = size <= request.maxBytes;
      if (wanted && chunk.length - offset >= size) {
        // All in this chunk: a view, not a copy (a cold read at Kuberpult scale is ~70k small
        // objects; copying them cost ~0.2 s, mostly in GC).
        request.batch.answer(request.index, {
          oid,
          type,
          size,
          oversized: false,
          content: chunk.subarray(offset, offset + size),
        });
        offset += size;
        this.expectingNewline = true;
        continue;
      }
      // Spread over chunks: collected into one buffer allocated once, or skipped when too large.
      this.object = {
        oid,
        type,
        size,
        remaining: size,
        request,
        content: wanted ? Buffer.allocUnsafe(size) : undefined,
      };
    }
  }

  private next(): PendingRead | undefined {
    const request = this.pending[this.pendingHead];
    this.pendingHead++;
    // Compact now and then instead of shifting an array of tens of thousands on every answer.
    if (this.pendingHead > 4096 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    return request;
  }

  private protocolError(what: string): void {
    this.fail(`git cat-file: ${what}`);
    this.child.kill('SIGKILL');
  }

  /** Rejects every read still waiting; the process is not used again. */
  private fail(message: string): void {
    this.acceptsReads = false;
    this.failed = true;
    const failed = this.pending.splice(0).slice(this.pendingHead);
    this.pendingHead = 0;
    this.object = undefined;
    const error = new CatFileError(message);
    for (const batch of new Set(failed.map((request) => request.batch))) batch.reject(error);
  }
}
