// One long-lived `git cat-file --batch-command --buffer` process answers every object read of a
// repository: a batch of reads is one write and one flush, instead of a process (or a flush)
// per object.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { GIT_OPTIONS, gitEnvironment, trackProcessGroup } from './git.js';

export interface GitObject {
  readonly oid: string;
  readonly type: string;
  readonly content: Buffer;
}

interface PendingRead {
  readonly resolve: (object: GitObject | undefined) => void;
  readonly reject: (error: Error) => void;
}

export class CatFileBatch {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: PendingRead[] = [];
  private pendingHead = 0;
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly repoPath: string) {}

  /** Reads an object by id or revision expression; undefined when it does not exist. */
  async read(objectName: string): Promise<GitObject | undefined> {
    const [object] = await this.readMany([objectName]);
    return object;
  }

  /** Reads many objects in one round trip; results in the order asked. */
  readMany(objectNames: readonly string[]): Promise<(GitObject | undefined)[]> {
    if (objectNames.length === 0) return Promise.resolve([]);
    if (objectNames.some((name) => /[\r\n]/.test(name))) {
      return Promise.reject(new Error('object name must be one line'));
    }
    const child = this.ensureStarted();
    const results = objectNames.map(
      (): Promise<GitObject | undefined> =>
        new Promise((resolve, reject) => {
          this.pending.push({ resolve, reject });
        }),
    );
    child.stdin.write(`${objectNames.map((name) => `contents ${name}\n`).join('')}flush\n`);
    return Promise.all(results);
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    child?.stdin.end();
    this.failPending(new Error('cat-file process closed'));
  }

  private ensureStarted(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    // Its own process group, killed when the service exits (git.ts); a SIGKILLed service cannot do
    // that, and then cat-file ends on the end of its stdin.
    const child = trackProcessGroup(
      spawn('git', [...GIT_OPTIONS, '-C', this.repoPath, 'cat-file', '--batch-command', '--buffer'], {
        env: gitEnvironment(),
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      }),
    );
    this.buffer = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr.resume();
    child.stdin.on('error', () => {});
    const onExit = (error?: Error) => {
      if (this.child === child) this.child = undefined;
      this.failPending(error ?? new Error('git cat-file exited'));
    };
    child.on('error', onExit);
    child.on('close', () => onExit());
    this.child = child;
    return child;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      const headerEnd = this.buffer.indexOf(0x0a, offset);
      if (headerEnd < 0) break;
      const header = this.buffer.toString('latin1', offset, headerEnd);
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        offset = headerEnd + 1;
        this.settle()?.resolve(undefined);
        continue;
      }
      const [oid, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (oid === undefined || type === undefined || !Number.isInteger(size)) {
        this.failPending(new Error(`unexpected cat-file output: ${header.slice(0, 200)}`));
        this.close();
        return;
      }
      const end = headerEnd + 1 + size + 1;
      if (this.buffer.length < end) break;
      // A view, not a copy: every reader turns it into text or a parsed tree at once (a cold read
      // at Kuberpult scale is ~70k objects; copying them cost ~0.2 s, mostly in GC).
      const content = this.buffer.subarray(headerEnd + 1, headerEnd + 1 + size);
      offset = end;
      this.settle()?.resolve({ oid, type, content });
    }
    this.buffer = offset === 0 ? this.buffer : this.buffer.subarray(offset);
  }

  private settle(): PendingRead | undefined {
    const request = this.pending[this.pendingHead];
    this.pendingHead++;
    // Compact now and then instead of shifting an array of tens of thousands on every answer.
    if (this.pendingHead > 4096 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    return request;
  }

  private failPending(error: Error): void {
    const failed = this.pending.splice(0);
    const head = this.pendingHead;
    this.pendingHead = 0;
    for (const request of failed.slice(head)) request.reject(error);
  }
}
