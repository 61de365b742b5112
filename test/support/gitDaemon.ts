// A git server on 127.0.0.1 for tests of real service processes: `git daemon` over a directory of
// bare repositories, and a TCP proxy in front of it that can be made to hang (a remote that stops
// answering), for every connection or only for pushes.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { gitEnvironment } from '../../src/manifest/git.js';

/** Registers what a test must undo afterwards (in its afterEach). */
export type OnCleanup = (cleanup: () => Promise<void> | void) => void;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** `git daemon` serving every repository under `baseDir`, pushes allowed; returns its port. */
export async function startGitDaemon(baseDir: string, onCleanup: OnCleanup): Promise<number> {
  const port = await freePort();
  const daemon: ChildProcess = spawn(
    'git',
    [
      'daemon',
      '--reuseaddr',
      '--listen=127.0.0.1',
      `--port=${port}`,
      `--base-path=${baseDir}`,
      '--export-all',
      '--enable=receive-pack',
      '--informative-errors',
      baseDir,
    ],
    // A group of its own: `git daemon` runs git-daemon as a child, which outlives a kill of git alone.
    { env: gitEnvironment(), stdio: 'ignore', detached: true },
  );
  onCleanup(() => {
    try {
      if (daemon.pid !== undefined) process.kill(-daemon.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  await waitForPort(port);
  return port;
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
}

/** A TCP proxy in front of the git daemon that can be made to swallow connections (a hung remote). */
export async function startProxy(targetPort: number, onCleanup: OnCleanup): Promise<GitProxy> {
  let mode: boolean | 'pushes' = false;
  const hungListeners: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const swallow = () => {
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
  };
}
