// Docker cannot run on the development machines, so the image is checked by reading its recipe.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

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
  it('builds in stages from a slim Node 20 base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:20[\w.-]*-slim\b/);
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

  it('has a healthcheck that needs only node', () => {
    const healthcheck = finalStage.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck).toMatch(/CMD \["node"/);
    expect(healthcheck).not.toMatch(/curl|wget/);
    expect(healthcheck).toMatch(/\/readyz/);
  });

  it('keeps local state and dependencies out of the build context', async () => {
    const ignored = (await readFile(new URL('.dockerignore', root), 'utf8')).split('\n');
    for (const entry of ['node_modules', 'data', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});
