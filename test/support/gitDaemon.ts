// A git server on 127.0.0.1 for tests of real service processes: `git daemon` over a directory of
// bare repositories, and a TCP proxy in front of it that can be made to hang (a remote that stops
// answering), for every connection or only for pushes.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { gitEnvironment } from '../../src/manifest/git.js';
import { listProcesses, waitUntil } from './processes.js';

/** Registers what a test must undo afterwards (in its afterEach). */
export type OnCleanup = (cleanup: () => Promise<void> | void) => void;

const SERVER = new URL('./gitDaemonServer.mjs', import.meta.url).pathname;

/**
 * `git daemon` serving every repository under `baseDir`, pushes allowed; returns its port. It
 * listens through test/support/gitDaemonServer.mjs, on port 0: no port to guess and race for.
 */
export async function startGitDaemon(baseDir: string, onCleanup: OnCleanup): Promise<number> {
  const server: ChildProcess = spawn(process.execPath, [SERVER, baseDir], {
    env: gitEnvironment(),
    // stdin: its end tells it that this process is gone.
    stdio: ['pipe', 'pipe', 'inherit'],
    // A group of its own: the cleanup kills it with every git it started.
    detached: true,
  });
  onCleanup(async () => {
    const group = server.pid;
    if (group === undefined) return;
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone already
    }
    await waitUntil(() => !listProcesses().some(({ pgid }) => pgid === group));
  });
  let output = '';
  return new Promise<number>((resolve, reject) => {
    server.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolve(Number(output.split('\n')[0]));
    });
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`the git server exited with ${code} before it listened`)));
  });
}

export interface GitProxy {
  readonly port: number;
  /**
   * true: new connections are accepted and never answered; 'pushes': only those of a push
   * (git-receive-pack), fetches go through; false: everything goes through.
   */
  hang(mode: boolean | 'pushes'): void;
  /** Resolves when the proxy next swallows a connection. */
  nextHung(): Promise<void>;
  /** How many connections it has swallowed so far. */
  hungConnections(): number;
}

/** A TCP proxy in front of the git daemon that can be made to swallow connections (a hung remote). */
export async function startProxy(targetPort: number, onCleanup: OnCleanup): Promise<GitProxy> {
  let mode: boolean | 'pushes' = false;
  const hungListeners: (() => void)[] = [];
  const sockets = new Set<Socket>();
  let hung = 0;
  const swallow = () => {
    hung++;
    for (const listener of hungListeners.splice(0)) listener();
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === true) {
      swallow(); // accepted, never answered
      return;
    }
    // git:// starts with one pkt-line naming the service ("git-upload-pack /repo" for a fetch,
    // "git-receive-pack /repo" for a push); git may write its 4-digit length separately.
    let first = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      first = Buffer.concat([first, chunk]);
      const length = Number.parseInt(first.subarray(0, 4).toString('latin1'), 16);
      if (first.length < 4 || first.length < length) return;
      client.off('data', onData);
      if (mode === 'pushes' && first.includes('git-receive-pack')) {
        swallow();
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      upstream.write(first);
      client.pipe(upstream).pipe(client);
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return {
    port: (server.address() as { port: number }).port,
    hang: (on) => {
      mode = on;
    },
    nextHung: () =>
      new Promise((resolve) => {
        hungListeners.push(resolve);
      }),
    hungConnections: () => hung,
  };
}
