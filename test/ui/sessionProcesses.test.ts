// UI sessions across processes, as operators run the service (dist/server.js): with one
// UI_SESSION_SECRET every replica takes a session another one made, and it survives a restart;
// without it, the service warns that a restart ends every sign-in, and it does.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllServices, startService } from '../support/serviceProcess.js';
import { csrfIn } from '../support/uiClient.js';

const dirs: string[] = [];
afterEach(async () => {
  await killAllServices();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const TOKEN = 'a-token-for-the-replicas-test';

async function setUp(): Promise<{ cwd: string; env: Record<string, string> }> {
  const cwd = await mkdtemp(join(tmpdir(), 'trainyard-ui-sessions-'));
  dirs.push(cwd);
  const tokens = join(cwd, 'tokens.yaml');
  const sha256 = createHash('sha256').update(TOKEN).digest('hex');
  await writeFile(tokens, `- name: Rita Replica\n  email: rita@example.com\n  sha256: ${sha256}\n`);
  // The same local repository for every process, as replicas on one machine share it.
  return {
    cwd,
    env: { AUTH_MODE: 'token', AUTH_TOKENS_FILE: tokens, MANIFEST_REPO_PATH: join(cwd, 'repo') },
  };
}

/** Signs in on `base` and answers the session cookie (name=value) the browser would keep. */
async function signIn(base: string): Promise<string> {
  const form = await fetch(`${base}/ui/signin`);
  const csrfCookie = (form.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const response = await fetch(`${base}/ui/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({
      _csrf: csrfIn(await form.text()),
      token: TOKEN,
      next: '/ui/locks',
    }).toString(),
  });
  expect(response.status).toBe(303);
  const session = response.headers.getSetCookie().find((line) => line.startsWith('trainyard_session='));
  expect(session).toBeDefined();
  return (session as string).split(';')[0] as string;
}

async function pageWith(base: string, cookie: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}/ui/locks`, { redirect: 'manual', headers: { cookie } });
  return { status: response.status, text: await response.text() };
}

describe('UI sessions across service processes', () => {
  it('with one UI_SESSION_SECRET, a session made on one replica is good on another', async () => {
    const { cwd, env } = await setUp();
    const secret = { ...env, UI_SESSION_SECRET: 'one secret that every replica of this service shares' };
    const first = startService(cwd, secret);
    const second = startService(cwd, secret);
    const [a, b] = await Promise.all([first.listening, second.listening]);
    expect(first.output().stdout).not.toContain('UI_SESSION_SECRET is not set');
    const session = await signIn(a);
    const page = await pageWith(b, session);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as <strong>Rita Replica</strong>');
  });

  it('without it, warns at start that sign-ins end with the process, and they do', async () => {
    const { cwd, env } = await setUp();
    const first = startService(cwd, env);
    const a = await first.listening;
    const warning = await first.logLine(/UI_SESSION_SECRET is not set/);
    expect(JSON.parse(warning)).toMatchObject({ level: 40 });
    const session = await signIn(a);
    expect((await pageWith(a, session)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const restarted = startService(cwd, env);
    const page = await pageWith(await restarted.listening, session);
    expect(page.status).toBe(303);
  });
});
