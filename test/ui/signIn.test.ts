// Signing in to the web UI with a token (AUTH_MODE=token, a real tokens file): pages lead to the
// sign-in, a wrong token is refused, a right one starts a session whose cookie holds who the
// person is and when it ends (never the token), writes are authored by that person and judged by
// the same policy as the API, and the session ends when it expires, is tampered with or signed out.
// The OIDC sign-in runs in a real browser against a real OpenID provider: browser.test.ts.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { Permissions } from '../../src/auth/permissions.js';
import { parsePolicy } from '../../src/auth/policy.js';
import { TokenStore } from '../../src/auth/tokens.js';
import { WORLD } from '../http/world.js';
import { FIXED_TIME, harnessPerTest } from '../support/appHarness.js';
import { expectError, expectOneCommit } from '../support/httpExpectations.js';
import { csrfIn, runFormOf, textOf, UiClient } from '../support/uiClient.js';

const start = harnessPerTest();

const ALICE = { name: 'Alice Dev', email: 'alice@example.com', token: 'token-alice-3f9a1c' };
const BOB = { name: 'Bob Guest', email: 'bob@example.com', token: 'token-bob-77e0d2' };
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// Alice may do everything; Bob (a guest) may lock, but not run trains.
const POLICY = parsePolicy(
  [
    'p, role:admin, *, *:*, *, allow',
    'p, role:guest, CreateLock, *:*, *, allow',
    'g, developers, role:admin',
    'g, guests, role:guest',
  ].join('\n'),
  'policy.csv',
);

let dir: string;
let authenticator: Authenticator;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainyard-ui-tokens-'));
  const path = join(dir, 'tokens.yaml');
  await writeFile(
    path,
    `- name: ${ALICE.name}\n  email: ${ALICE.email}\n  sha256: ${sha256(ALICE.token)}\n  groups: [developers, ${Array.from({ length: 300 }, (_, index) => `unrelated-${index}`).join(', ')}]\n` +
      `- name: ${BOB.name}\n  email: ${BOB.email}\n  sha256: ${sha256(BOB.token)}\n  groups: [guests]\n`,
  );
  const tokens = new TokenStore(path);
  await tokens.load();
  authenticator = new Authenticator(tokens);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An app in token mode whose clock the test moves. */
async function startTokenMode() {
  const clock = { now: FIXED_TIME };
  const h = await start(WORLD, {
    authenticator,
    permissions: new Permissions(POLICY),
    clock: () => clock.now,
    ui: { sessionSecret: 'a test secret that is long enough to sign', sessionHours: 8 },
  });
  return { h, clock };
}

async function signIn(ui: UiClient, token: string, next = '/ui/') {
  const form = await ui.get(`/ui/signin?next=${encodeURIComponent(next)}`);
  return ui.post('/ui/signin', { _csrf: csrfIn(form.body), next, token });
}

describe('signing in with a token', () => {
  it('sends a page to the sign-in first; the API still wants a bearer token', async () => {
    const { h } = await startTokenMode();
    const ui = new UiClient(h.app);
    const page = await ui.get('/ui/trains/prod?team=shop');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/ui/signin?next=${encodeURIComponent('/ui/trains/prod?team=shop')}`);
    const form = await ui.get(page.headers.location as string);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="token">Token</label>');
    expect(form.body).toContain('<button type="submit">Sign in</button>');
    expect((await ui.get('/ui/static/style.css')).statusCode).toBe(200);
    expectError(await h.app.inject({ url: '/api/overview' }), 401, 'UNAUTHENTICATED');
    // A POST without a session is refused before anything runs.
    const post = await ui.post('/ui/locks', { _csrf: csrfIn(form.body), kind: 'environment' });
    expect(post.statusCode).toBe(401);
  });

  it('refuses a token it does not know, and keeps no session', async () => {
    const { h } = await startTokenMode();
    const ui = new UiClient(h.app);
    const refused = await signIn(ui, 'not-a-token');
    expect(refused.statusCode).toBe(401);
    expect(textOf(refused.body)).toContain('This token is not valid.');
    expect(ui.cookies.has('trainyard_session')).toBe(false);
    const empty = await signIn(ui, '');
    expect(textOf(empty.body)).toContain('Token: is required');
  });

  it('keeps who the person is, the groups that matter and the end of the session in a signed HttpOnly cookie, never the token', async () => {
    const { h } = await startTokenMode();
    const ui = new UiClient(h.app);
    const signedIn = await signIn(ui, ALICE.token, '/ui/locks');
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe('/ui/locks');
    const cookie = ui.setCookies.find((line) => line.startsWith('trainyard_session='));
    expect(cookie).toMatch(/; Max-Age=28800; Path=\/ui; HttpOnly; SameSite=Lax$/);
    const value = decodeURIComponent(ui.cookies.get('trainyard_session') as string);
    expect(value).not.toContain(ALICE.token);
    const payload = JSON.parse(Buffer.from(value.split('.')[0] as string, 'base64url').toString('utf8'));
    expect(payload).toEqual({
      name: ALICE.name,
      email: ALICE.email,
      // 300 other groups are left out: no rule looks at them.
      groups: ['developers'],
      via: 'token',
      expiresAt: FIXED_TIME.getTime() + 8 * 3_600_000,
    });
    const page = textOf((await ui.get('/ui/locks')).body);
    expect(page).toContain(`Signed in as ${ALICE.name} (${ALICE.email})`);
  });

  it('authors the writes of the UI with the person signed in, judged by the same policy as the API', async () => {
    const { h } = await startTokenMode();
    const alice = new UiClient(h.app);
    await signIn(alice, ALICE.token);
    const before = h.fixture.tip();
    const run = await alice.post(
      '/ui/trains/prod/run',
      runFormOf((await alice.get('/ui/trains/prod')).body),
      { 'x-request-id': 'ui-alice-train' },
    );
    expect(run.statusCode).toBe(200);
    const commit = expectOneCommit(h, before, 'ui-alice-train', ALICE);

    const bob = new UiClient(h.app);
    await signIn(bob, BOB.token);
    const refused = await bob.post('/ui/trains/prod/run', runFormOf((await bob.get('/ui/trains/prod')).body));
    expect(refused.statusCode).toBe(403);
    expect(textOf(refused.body)).toContain(
      "bob@example.com may not DeployReleaseTrain in environment 'prod-au' (group 'prod'). Nothing was changed",
    );
    const locked = await bob.post(
      '/ui/locks',
      {
        _csrf: await bob.csrfOf('/ui/locks'),
        kind: 'environment',
        environment: 'dev',
        lockId: 'bob',
        message: 'mine',
      },
      { 'x-request-id': 'ui-bob-lock' },
    );
    expect(locked.statusCode).toBe(303);
    expectOneCommit(h, commit, 'ui-bob-lock', BOB);
  });

  it('takes a form only with the token of the person signed in now', async () => {
    const { h } = await startTokenMode();
    const ui = new UiClient(h.app);
    const anonymous = csrfIn((await ui.get('/ui/signin')).body);
    await signIn(ui, ALICE.token);
    const before = h.fixture.tip();
    const refused = await ui.post('/ui/locks', {
      _csrf: anonymous,
      kind: 'environment',
      environment: 'dev',
      lockId: 'late',
      message: 'm',
    });
    expect(refused.statusCode).toBe(403);
    expect(h.fixture.tip()).toBe(before);
  });

  it('ends the session when it expires, when the cookie is changed, and on signing out', async () => {
    const { h, clock } = await startTokenMode();
    const ui = new UiClient(h.app);
    await signIn(ui, ALICE.token);
    expect((await ui.get('/ui/')).statusCode).toBe(200);
    clock.now = new Date(FIXED_TIME.getTime() + 8 * 3_600_000);
    expect((await ui.get('/ui/')).statusCode).toBe(303);

    clock.now = FIXED_TIME;
    expect((await ui.get('/ui/')).statusCode).toBe(200);
    const value = decodeURIComponent(ui.cookies.get('trainyard_session') as string);
    const payload = JSON.parse(Buffer.from(value.split('.')[0] as string, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...payload, email: 'carol@example.com' })).toString(
      'base64url',
    );
    const tampered = new UiClient(h.app);
    tampered.cookies.set('trainyard_session', encodeURIComponent(`${forged}.${value.split('.')[1]}`));
    expect((await tampered.get('/ui/')).statusCode).toBe(303);

    const page = await ui.get('/ui/locks');
    const out = await ui.post('/ui/signout', { _csrf: csrfIn(page.body) });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/ui/signin');
    expect(ui.cookies.has('trainyard_session')).toBe(false);
    expect((await ui.get('/ui/')).statusCode).toBe(303);
  });

  it('goes back only to a page of the UI after signing in', async () => {
    const { h } = await startTokenMode();
    for (const next of ['https://evil.example/', '//evil.example/ui/', '/api/overview', '/ui/\\evil']) {
      const ui = new UiClient(h.app);
      const signedIn = await signIn(ui, ALICE.token, next);
      expect(signedIn.headers.location, next).toBe('/ui/');
    }
  });
});
