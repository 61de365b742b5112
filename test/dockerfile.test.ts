// Docker cannot run on the development machines, so the image is checked by reading its recipe,
// and what it runs (the healthcheck) is run here against a real server.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHarness } from './support/appHarness.js';

function exitCode(command: string, args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

const root = new URL('..', import.meta.url);
const dockerfile = await readFile(new URL('Dockerfile', root), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const stages = instructions.filter((line) => line.startsWith('FROM '));
const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1) as string));

describe('Dockerfile', () => {
  it('builds in stages from a slim base of the current Node LTS (24)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:24[\w.-]*-slim\b/);
  });

  it('installs without lifecycle scripts (prepare builds from src/, which those stages do not have yet)', () => {
    const installs = instructions.filter((line) => /\bnpm ci\b/.test(line));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const install of installs) expect(install).toMatch(/--ignore-scripts/);
  });

  it('installs git and an init process, and only production dependencies in the final image', () => {
    const runs = finalStage.filter((line) => line.startsWith('RUN ')).join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*\bgit\b/);
    expect(runs).toMatch(/apt-get install[^\n]*\btini\b/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(finalStage.some((line) => /^ENTRYPOINT \[".*tini"/.test(line))).toBe(true);
  });

  it('runs as a non-root user, listens on all addresses, keeps the manifest repo in a volume', () => {
    const user = finalStage.find((line) => line.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    expect(finalStage.join('\n')).toMatch(/HOST=0\.0\.0\.0/);
    const repoPath = /MANIFEST_REPO_PATH=(\S+)/.exec(finalStage.join('\n'))?.[1];
    expect(repoPath).toBeDefined();
    const volume = finalStage.find((line) => line.startsWith('VOLUME '));
    expect(volume).toBeDefined();
    expect(repoPath?.startsWith(JSON.parse((volume as string).slice('VOLUME '.length))[0])).toBe(true);
  });

  it('has a liveness healthcheck that needs only node: 0 while the server answers, 1 when it does not', async () => {
    const healthcheck = finalStage.find((line) => line.startsWith('HEALTHCHECK ')) as string;
    const [program, ...args] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(program).toBe('node');
    const harness = await startHarness({});
    try {
      await harness.app.listen({ port: 0, host: '127.0.0.1' });
      const port = String((harness.app.server.address() as AddressInfo).port);
      expect(await exitCode(process.execPath, args, { PORT: port })).toBe(0);
      await harness.app.close();
      expect(await exitCode(process.execPath, args, { PORT: port })).toBe(1);
    } finally {
      await harness.close();
    }
  });

  it('keeps local state and dependencies out of the build context', async () => {
    const ignored = (await readFile(new URL('.dockerignore', root), 'utf8')).split('\n');
    for (const entry of ['node_modules', 'data', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});
