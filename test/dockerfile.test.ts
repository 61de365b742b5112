// Docker cannot run on the development machines: how the image is built (base, packages, user,
// what is copied) is checked by reading its recipe; what it runs is run here: its command in a
// directory holding what the image copies (this checkout, built), with its environment, its
// volume under a temporary directory, and its healthcheck against that process.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git } from './support/gitFixture.js';
import { killAllServices, startService } from './support/serviceProcess.js';

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
/** The JSON after `after` in an instruction (CMD, VOLUME, HEALTHCHECK's CMD). */
const jsonArgument = (line: string, after: string) =>
  JSON.parse(line.slice(line.indexOf(after) + after.length));
const instruction = (name: string) => finalStage.find((line) => line.startsWith(`${name} `)) as string;
/** The final stage's ENV, as the process gets it. */
const imageEnvironment: Record<string, string> = Object.fromEntries(
  finalStage
    .filter((line) => line.startsWith('ENV '))
    .flatMap((line) => line.slice('ENV '.length).trim().split(/\s+/))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);

const dirs: string[] = [];
afterEach(async () => {
  await killAllServices();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

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

  it("copies what the built server reads at run time: the web UI's templates and style sheet", () => {
    const copies = finalStage.filter((line) => line.startsWith('COPY '));
    for (const directory of ['src/ui/templates', 'src/ui/static']) {
      expect(copies).toContain(`COPY ${directory} ./${directory}`);
    }
  });

  it('runs as a non-root user', () => {
    const user = instruction('USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
  });

  it('runs its command on all addresses, only with authentication unless told, with the manifest repo in its volume; its healthcheck needs only node: 0 while the server answers, 1 when it does not', async () => {
    // startService runs exactly this, in the checkout: what WORKDIR holds in the image.
    expect(jsonArgument(instruction('CMD'), 'CMD ')).toEqual(['node', 'dist/server.js']);
    const [volume] = jsonArgument(instruction('VOLUME'), 'VOLUME ') as [string];
    const volumeDir = await mkdtemp(join(tmpdir(), 'trainyard-image-volume-'));
    dirs.push(volumeDir);
    const environment = Object.fromEntries(
      Object.entries(imageEnvironment).map(([name, value]) => [
        name,
        value.startsWith(`${volume}/`) ? join(volumeDir, value.slice(volume.length)) : value,
      ]),
    );
    expect(environment.HOST).toBe('0.0.0.0');
    // The repo is in the volume: its path moved with it.
    expect(environment.MANIFEST_REPO_PATH).not.toBe(imageEnvironment.MANIFEST_REPO_PATH);
    const checkout = new URL('..', import.meta.url).pathname;

    // As it is, with no authentication configured, it refuses to listen on every address.
    const bare = startService(checkout, { ...environment, PORT: '0' });
    expect(await bare.exited).toBe(1);
    expect(bare.output().stderr).toContain('AUTH_ALLOW_UNAUTHENTICATED');

    const server = startService(checkout, { ...environment, PORT: '0', AUTH_ALLOW_UNAUTHENTICATED: 'true' });
    const { port } = new URL(await server.listening);
    const repoPath = environment.MANIFEST_REPO_PATH as string;
    expect(git(repoPath, ['rev-parse', '--is-bare-repository']).trim()).toBe('true');

    const [program, ...args] = jsonArgument(instruction('HEALTHCHECK'), 'CMD ') as string[];
    expect(program).toBe('node');
    expect(await exitCode(process.execPath, args, { PORT: port })).toBe(0);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await exitCode(process.execPath, args, { PORT: port })).toBe(1);
  });

  it('keeps local state and dependencies out of the build context', async () => {
    const ignored = (await readFile(new URL('.dockerignore', root), 'utf8')).split('\n');
    for (const entry of ['node_modules', 'data', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});
