// The log as an operator reads it: the start line says what is served, LOG_LEVEL=debug and trace
// add lines, and an expected condition (a busy repo) is a warning, not an error with a stack.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllServices, startService } from './support/serviceProcess.js';

const dirs: string[] = [];
afterEach(async () => {
  await killAllServices();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

const DEBUG = 20;
const TRACE = 10;
const WARN = 40;

/** A service on the demo repo at `level`, one lock written through it; its log lines. */
async function logOfOneWrite(level: string): Promise<{ lines: LogLine[]; requestId: string; cwd: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'trainyard-logs-'));
  dirs.push(cwd);
  const server = startService(cwd, { LOG_LEVEL: level });
  const url = await server.listening;
  const response = await fetch(`${url}/api/environments/dev/locks/logged`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'a lock for the log' }),
  });
  expect(response.status).toBe(200);
  const requestId = response.headers.get('x-request-id') as string;
  await server.logLine(/"msg":"write finished"/);
  server.child.kill('SIGTERM');
  await server.exited;
  const lines = server
    .output()
    .stdout.split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
  return { lines, requestId, cwd };
}

describe('the log', () => {
  it('at info: one start line names the repository, branch, auth mode and port; no debug lines', async () => {
    const { lines, cwd } = await logOfOneWrite('info');
    const start = lines.find((line) => line.msg.startsWith('Trainyard serves '));
    expect(start).toMatchObject({
      repository: join(cwd, 'data/manifest-repo'),
      branch: 'main',
      authMode: 'none',
    });
    expect(start?.port).toEqual(expect.any(Number));
    expect(start?.msg).toContain(`at http://127.0.0.1:${start?.port}`);
    expect(lines.some((line) => line.msg === 'write finished')).toBe(true);
    expect(lines.filter((line) => line.level < 30)).toEqual([]);
  });

  it('at debug: each step of a write, with the request id; at trace: every git command too', async () => {
    const debug = await logOfOneWrite('debug');
    const steps = debug.lines.filter((line) => line.level === DEBUG && line.reqId === debug.requestId);
    expect(steps.map((line) => line.msg)).toEqual(['write planned', 'write committed']);
    expect(debug.lines.some((line) => line.level === TRACE)).toBe(false);

    const trace = await logOfOneWrite('trace');
    const commands = trace.lines.filter(
      (line) => line.level === TRACE && line.msg === 'git command finished',
    );
    expect(commands.map((line) => (line.args as string[])[0])).toEqual(
      expect.arrayContaining(['rev-parse', 'fast-import', 'update-ref']),
    );
  });

  it('says a busy repo is a warning without a stack trace, naming the code', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'trainyard-logs-'));
    dirs.push(cwd);
    const server = startService(cwd, {});
    const url = await server.listening;
    // A ref lock another git holds (young, so the service leaves it): the write is REPO_BUSY.
    await writeFile(join(cwd, 'data/manifest-repo/refs/heads/main.lock'), '');
    const response = await fetch(`${url}/api/environments/dev/locks/busy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'm' }),
    });
    expect(response.status).toBe(503);
    const line = JSON.parse(await server.logLine(/"msg":"request failed"/)) as LogLine;
    expect(line.level).toBe(WARN);
    expect(line.code).toBe('REPO_BUSY');
    expect(line.err).toBeUndefined();
  });
});
