// One long-lived `git cat-file --batch` process answers every object read of a repository,
// instead of a process per file.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { GIT_OPTIONS, gitEnvironment } from './git.js';

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
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly repoPath: string) {}

  /** Reads an object by id or revision expression; undefined when it does not exist. */
  read(objectName: string): Promise<GitObject | undefined> {
    if (/[\r\n]/.test(objectName)) return Promise.reject(new Error('object name must be one line'));
    const child = this.ensureStarted();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      child.stdin.write(`${objectName}\n`);
    });
  }

  /** Reads many objects; results in the order asked. */
  readMany(objectNames: readonly string[]): Promise<(GitObject | undefined)[]> {
    return Promise.all(objectNames.map((name) => this.read(name)));
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    child?.stdin.end();
    this.failPending(new Error('cat-file process closed'));
  }

  private ensureStarted(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', [...GIT_OPTIONS, '-C', this.repoPath, 'cat-file', '--batch'], {
      env: gitEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
    for (;;) {
      const headerEnd = this.buffer.indexOf(0x0a);
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('utf8');
      const fields = header.split(' ');
      if (fields[fields.length - 1] === 'missing' || fields[fields.length - 1] === 'ambiguous') {
        this.buffer = this.buffer.subarray(headerEnd + 1);
        this.pending.shift()?.resolve(undefined);
        continue;
      }
      const [oid, type, sizeText] = fields;
      const size = Number(sizeText);
      if (oid === undefined || type === undefined || !Number.isInteger(size)) {
        this.failPending(new Error(`unexpected cat-file output: ${header.slice(0, 200)}`));
        this.close();
        return;
      }
      const end = headerEnd + 1 + size + 1;
      if (this.buffer.length < end) return;
      const content = Buffer.from(this.buffer.subarray(headerEnd + 1, headerEnd + 1 + size));
      this.buffer = this.buffer.subarray(end);
      this.pending.shift()?.resolve({ oid, type, content });
    }
  }

  private failPending(error: Error): void {
    for (const request of this.pending.splice(0)) request.reject(error);
  }
}
