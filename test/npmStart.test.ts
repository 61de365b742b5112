// `npm start` as a user or a process manager runs it: the built server (its web UI too), and a
// SIGTERM to the npm process reaches the server (no orphan left answering).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('serves the built code, the web UI included, and stops the server when the npm process gets SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-npm-start-'));
  dirs.push(dir);
  // npm itself runs under the node that runs the tests (npm_execpath when the tests run under npm).
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'start']] : ['npm', ['start']];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: '0', MANIFEST_REPO_PATH: join(dir, 'repo') },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that the cleanup reaches whatever npm started.
    detached: true,
  });
  started.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stdout = '';
  const listening = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((text) => text.includes('Server listening at'));
      if (line) {
        const { pid, msg } = JSON.parse(line) as { pid: number; msg: string };
        resolve({ url: msg.replace('Server listening at ', ''), pid });
      }
    });
    exited.then((code) => reject(new Error(`npm start exited with ${code}: ${stdout}`)));
  });
  const { url, pid } = await listening;
  expect(stdout).toContain('node dist/server.js');
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // The web UI's templates, style sheet and script are found from dist/ too.
  const overview = await fetch(`${url}/ui/`);
  expect([overview.status, await overview.text()]).toEqual([
    200,
    expect.stringContaining('<h1>Overview</h1>'),
  ]);
  for (const file of ['style.css', 'htmx.min.js']) {
    expect((await fetch(`${url}/ui/static/${file}`)).status).toBe(200);
  }

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stdout).toContain('"signal":"SIGTERM"');
  expect(isRunning(pid)).toBe(false);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});
