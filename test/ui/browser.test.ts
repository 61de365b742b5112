// The web UI in a real browser (Chromium through playwright-core, one for this file): what a person
// does on each page, checked in git (the train run bound to the plan shown, and its 412 path when
// the plan changed behind the page's back; manifest diffs on demand; a large plan opened per
// environment); no serious or critical axe-core violation on any page; every
// request of every page to the service's own origin; the pages and a form without JavaScript; a
// form posted from another site refused; signing in with a token and with OIDC (a real OpenID
// provider, oidc-provider, on 127.0.0.1).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { OidcVerifier } from '../../src/auth/oidc.js';
import { OidcSignIn } from '../../src/auth/oidcSignIn.js';
import { TokenStore } from '../../src/auth/tokens.js';
import { WORLD } from '../http/world.js';
import { type Harness, harnessPerWorld } from '../support/appHarness.js';
import {
  browserPerFile,
  expectAccessible,
  listen,
  onPage,
  openContext,
  type RecordedContext,
  shown,
} from '../support/browser.js';
import { DEFAULT_AUTHOR } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';

const browser = browserPerFile();
// One app on WORLD for the tests that start it (its refs put back before each), listening once.
const start = harnessPerWorld();

/** The contexts a test opened; each is closed after it, and showed only what its origins allow. */
const contexts: RecordedContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

/** The app on WORLD, listening; a browser context whose every request must go to it. */
async function open(options: { javaScriptEnabled?: boolean; h?: Harness; origins?: string[] } = {}) {
  const h = options.h ?? (await start(WORLD));
  const url = await listen(h);
  const recorded = await openContext(browser(), [url, ...(options.origins ?? [])], options);
  contexts.push(recorded);
  return { h, url, ...recorded };
}

/**
 * Every request went to these origins, and there were some, and no page of the service reported
 * an error (a CSP violation is one); `besides`: an origin whose own pages (an identity provider's
 * sign-in page) may ask what they like: they are not the service's.
 */
function expectOnlyTo(
  { requests, errors }: Pick<RecordedContext, 'requests' | 'errors'>,
  origins: readonly string[],
  besides?: string,
): void {
  expect(requests.length).toBeGreaterThan(0);
  const fromBesides = (from: string) => besides !== undefined && from.startsWith(`${besides}/`);
  const elsewhere = requests.filter(
    ({ url, from }) => !origins.includes(new URL(url).origin) && !fromBesides(from),
  );
  expect(elsewhere).toEqual([]);
  // A page answered with a 4xx on purpose (a refused form) is logged as a failed load: no error of the page.
  const refusals = /^Failed to load resource: the server responded with a status of 4\d\d/;
  expect(errors.filter(({ text, from }) => !fromBesides(from) && !refusals.test(text))).toEqual([]);
}

describe('with a browser', () => {
  it('shows the overview, filters it by team and application in the URL, and asks nothing of another origin', async () => {
    const recorded = await open();
    const { url, page, requests } = recorded;
    await page.goto(`${url}/ui/`);
    await onPage(page, 'Overview');
    const prod = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'prod-ca' }) });
    expect(await shown(prod.getByRole('columnheader', { name: 'prod-de' }))).toContain('locked');
    expect(await shown(prod.getByRole('row', { name: /^checkout/ }))).toContain('queued 3');
    await expectAccessible(page);
    // The script (htmx) and the style sheet came from the service itself.
    expect(requests.map((request) => request.url)).toEqual(
      expect.arrayContaining([`${url}/ui/static/style.css`, `${url}/ui/static/htmx.min.js`]),
    );

    await page.getByLabel('Team', { exact: true }).selectOption('discovery');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/team=discovery/);
    await shown(page.getByRole('rowheader', { name: 'search' }).first());
    expect(await page.getByRole('rowheader', { name: 'checkout' }).count()).toBe(0);
    await page.getByLabel('Team', { exact: true }).selectOption('');
    await page.getByLabel('Application', { exact: true }).fill('OUT');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/app=OUT/);
    await shown(page.getByRole('rowheader', { name: 'checkout' }).first());
    expect(await page.getByRole('rowheader', { name: 'search' }).count()).toBe(0);
    expectOnlyTo(recorded, [url]);
  });

  it('runs the release train it shows, and shows the commit the train made', async () => {
    const recorded = await open();
    const { h, url, page } = recorded;
    await page.goto(`${url}/ui/`);
    await page.getByRole('link', { name: 'Release train to prod' }).click();
    await onPage(page, 'Release train to prod');
    await shown(page.getByText('Skipped: the environment is locked'));
    // axe-core checks this page in the manifest diff's test, with a diff open.
    const before = h.fixture.tip();
    await page.getByRole('button', { name: /Run release train/ }).click();
    await onPage(page, 'Release train to prod: done');
    const tip = h.fixture.tip();
    expect(h.fixture.git(['rev-parse', `${tip}^`]).trim()).toBe(before);
    expect(h.fixture.git(['log', '-1', '--format=%an <%ae>%n%s', 'main']).trim()).toBe(
      `${DEFAULT_AUTHOR.name} <${DEFAULT_AUTHOR.email}>\nRelease Train to environment/environment group 'prod':`,
    );
    expect(await shown(page.getByRole('status'))).toContain(`the release train committed ${tip}`);
    await expectAccessible(page);
    expectOnlyTo(recorded, [url]);
  });

  it('the 412 path: the plan changes behind the open page, Run says what changed and offers the new plan, whose Run commits it', async () => {
    const recorded = await open();
    const { h, url, page } = recorded;
    await page.goto(`${url}/ui/trains/prod`);
    await onPage(page, 'Release train to prod');
    // Behind the page's back: staging gets checkout 3 through the API.
    const deployed = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/applications/checkout/deployment',
      payload: { version: 3, lockBehavior: 'fail' },
    });
    expect(deployed.statusCode, deployed.body).toBe(200);
    const before = h.fixture.tip();
    await page.getByRole('button', { name: /Run release train/ }).click();
    await onPage(page, 'Release train to prod: the plan changed');
    expect(await shown(page.getByRole('alert'))).toContain('nothing was written');
    const changes = page.getByRole('region', { name: 'What changed' });
    expect(await shown(changes.getByRole('listitem'))).toBe(
      'prod-ca: checkout is now deployed in version 3, was deployed in version 2.',
    );
    expect(h.fixture.tip()).toBe(before);
    await expectAccessible(page);
    const plan = page.getByRole('region', { name: 'The plan now' });
    await plan.getByRole('button', { name: /Run release train/ }).click();
    await onPage(page, 'Release train to prod: done');
    const tip = h.fixture.tip();
    expect(h.fixture.git(['rev-parse', `${tip}^`]).trim()).toBe(before);
    expect(h.fixture.show('environments/prod-ca/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/3',
    );
    expect(await shown(page.getByRole('status'))).toContain(`the release train committed ${tip}`);
    expectOnlyTo(recorded, [url]);
  });

  it('shows a manifest diff on demand, in its row, from the service', async () => {
    const recorded = await open();
    const { url, page, requests } = recorded;
    await page.goto(`${url}/ui/trains/prod`);
    await onPage(page, 'Release train to prod');
    const row = page.getByRole('row', { name: /^checkout/ });
    await row.getByRole('link', { name: 'show' }).click();
    const diff = row.getByRole('region', { name: 'Manifest diff of checkout in prod-ca' });
    expect(await shown(diff)).toContain('-version: 1\n+version: 2');
    // In place: the page stayed, the script asked for the fragment alone.
    expect(page.url()).toBe(`${url}/ui/trains/prod`);
    expect(requests.map((request) => request.url)).toContain(`${url}/ui/trains/prod-ca/diff/checkout`);
    expect(await diff.locator('ins').textContent()).toBe('+version: 2');
    await expectAccessible(page);
    // Its page of its own (what a link opened in a new tab, or a browser without script, shows).
    await page.goto(`${url}/ui/trains/prod-ca/diff/checkout`);
    await onPage(page, 'Manifest diff of checkout in prod-ca');
    await expectAccessible(page);
    expectOnlyTo(recorded, [url]);
  });

  it('lists a large plan per environment: opening one fetches its applications, each with its diff', async () => {
    // 10 environments x (200 skips + 3 deployments): more rows than a page lists (INLINE_ROWS).
    const prod = Array.from({ length: 10 }, (_, index) => `prod-${String(index).padStart(2, '0')}`);
    const skipped = Array.from({ length: 200 }, (_, index) => `app-${String(index).padStart(3, '0')}`);
    const deployed = ['web-1', 'web-2', 'web-3'];
    const h = await start(
      layoutFiles({
        apps: {
          // Their releases have no manifest for prod: skipped there (APP_DOES_NOT_EXIST_IN_ENV).
          ...Object.fromEntries(skipped.map((app) => [app, { releases: { 1: ['staging'] } }])),
          ...Object.fromEntries(
            deployed.map((app) => [app, { releases: { 1: prod, 2: ['staging', ...prod] } }]),
          ),
        },
        environments: {
          staging: {
            config: { upstream: { latest: true } },
            deployed: Object.fromEntries([
              ...skipped.map((app) => [app, 1]),
              ...deployed.map((app) => [app, 2]),
            ]),
          },
          ...Object.fromEntries(
            prod.map((name) => [
              name,
              {
                config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
                deployed: Object.fromEntries(deployed.map((app) => [app, 1])),
              },
            ]),
          ),
        },
      }),
    );
    const recorded = await open({ h });
    const { url, page } = recorded;
    await page.goto(`${url}/ui/trains/prod`);
    await onPage(page, 'Release train to prod');
    expect(await shown(page.getByRole('main'))).toContain('30 deployments to 10 environments');
    // No application is listed until its environment is opened.
    expect(await page.getByRole('rowheader').count()).toBe(0);
    await expectAccessible(page);
    await page.getByRole('heading', { name: 'prod-04' }).click();
    await shown(page.getByRole('table', { name: 'To deploy to prod-04 from staging' }));
    expect(await page.getByRole('table', { name: 'Skipped in prod-04' }).getByRole('rowheader').count()).toBe(
      200,
    );
    const row = page.getByRole('row', { name: /^web-2 / });
    await row.getByRole('link', { name: 'show' }).click();
    expect(await shown(row.getByRole('region', { name: 'Manifest diff of web-2 in prod-04' }))).toContain(
      '+version: 2',
    );
    expectOnlyTo(recorded, [url]);
  });

  it('creates a lock, and deletes it after a confirmation', async () => {
    const recorded = await open();
    const { h, url, page } = recorded;
    await page.goto(`${url}/ui/locks`);
    await expectAccessible(page);
    await page.getByLabel('Kind', { exact: true }).selectOption('application');
    await page.getByLabel('Environment', { exact: true }).selectOption('staging');
    await page.getByLabel('Application', { exact: true }).fill('checkout');
    await page.getByLabel('Lock ID', { exact: true }).fill('browser-lock');
    await page.getByLabel('Message', { exact: true }).fill('checking in a browser');
    await page.getByLabel('Suggested lifetime', { exact: true }).fill('4h');
    await page.getByRole('button', { name: 'Create lock' }).click();
    expect(await shown(page.getByRole('status'))).toContain(
      "Created lock 'browser-lock' on checkout in staging",
    );
    const lockFile = 'environments/staging/applications/checkout/locks/browser-lock/message';
    expect(h.fixture.show(lockFile)).toBe('checking in a browser');
    const row = page.getByRole('row', { name: /browser-lock/ });
    expect(await shown(row)).toContain('checking in a browser');
    await row.getByRole('button', { name: /Delete/ }).click();
    await onPage(page, 'Delete lock browser-lock?');
    await expectAccessible(page);
    expect(h.fixture.modeOf(lockFile)).toBe('100644 blob');
    await page.getByRole('button', { name: 'Delete lock browser-lock' }).click();
    expect(await shown(page.getByRole('status'))).toContain("Deleted lock 'browser-lock'");
    expect(h.fixture.modeOf(lockFile)).toBeUndefined();
    expect(await page.getByRole('row', { name: /browser-lock/ }).count()).toBe(0);
    expectOnlyTo(recorded, [url]);
  });

  it('shows an application and deploys a release by hand; shows the history', async () => {
    const recorded = await open();
    const { h, url, page } = recorded;
    await page.goto(`${url}/ui/apps/checkout`);
    await expectAccessible(page);
    await page.getByLabel('Environment', { exact: true }).selectOption('staging');
    await page.getByLabel('Release', { exact: true }).selectOption('3');
    await page.getByRole('button', { name: 'Deploy' }).click();
    expect(await shown(page.getByRole('status'))).toContain('Deployed version 3 of checkout in staging');
    expect(h.fixture.show('environments/staging/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/3',
    );
    await page.getByRole('link', { name: 'History of checkout' }).click();
    await shown(page.getByRole('rowheader', { name: 'deployed version 3 of "checkout" to "staging"' }));
    await expectAccessible(page);
    expectOnlyTo(recorded, [url]);
  });

  it('works without JavaScript: every page reads, the filters and a form post', async () => {
    const recorded = await open({ javaScriptEnabled: false });
    const { h, url, page, requests } = recorded;
    await page.goto(`${url}/ui/`);
    await page.getByLabel('Team', { exact: true }).selectOption('shop');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/team=shop/);
    expect(await page.getByRole('rowheader', { name: 'search' }).count()).toBe(0);
    await page.goto(`${url}/ui/trains/prod`);
    await shown(page.getByText('Skipped: the environment is locked'));
    // A manifest diff is a page of its own.
    await page
      .getByRole('row', { name: /^checkout/ })
      .getByRole('link', { name: 'show' })
      .click();
    await onPage(page, 'Manifest diff of checkout in prod-ca');
    expect(await shown(page.locator('pre'))).toContain('+version: 2');
    // The 412 path with plain form posts: a lock behind the page's back, then the offered plan.
    await page.goto(`${url}/ui/trains/prod`);
    const locked = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/applications/checkout/locks/no-script',
      payload: { message: 'held while the page was open' },
    });
    expect(locked.statusCode, locked.body).toBe(200);
    const beforeRun = h.fixture.tip();
    await page.getByRole('button', { name: /Run release train/ }).click();
    await onPage(page, 'Release train to prod: the plan changed');
    expect(await shown(page.getByRole('region', { name: 'What changed' }))).toContain(
      'prod-ca: checkout is now skipped (the application is locked here), was deployed in version 2.',
    );
    await page
      .getByRole('region', { name: 'The plan now' })
      .getByRole('button', { name: /Run release train/ })
      .click();
    await onPage(page, 'Release train to prod: done');
    expect(await shown(page.getByRole('status'))).toContain('nothing to deploy, so it made no commit');
    expect(h.fixture.tip()).toBe(beforeRun);
    await page.goto(`${url}/ui/apps/checkout`);
    await shown(page.getByRole('heading', { name: 'Releases' }));
    await page.goto(`${url}/ui/history`);
    await onPage(page, 'History');
    await page.goto(`${url}/ui/locks`);
    await page.getByLabel('Environment', { exact: true }).selectOption('dev');
    await page.getByLabel('Lock ID', { exact: true }).fill('no-script');
    await page.getByLabel('Message', { exact: true }).fill('without JavaScript');
    await page.getByRole('button', { name: 'Create lock' }).click();
    expect(await shown(page.getByRole('status'))).toContain("Created lock 'no-script' on environment dev");
    expect(h.fixture.show('environments/dev/locks/no-script/message')).toBe('without JavaScript');
    // Without script, no script was asked for.
    expect(requests.filter((request) => request.url.endsWith('.js'))).toEqual([]);
    expectOnlyTo(recorded, [url]);
  });

  it('refuses a form that another site posts to it, and changes nothing', async () => {
    const evil = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(
        `<!doctype html><title>Win a prize</title><form method="post" action="${evilTarget}/ui/locks">` +
          '<input name="kind" value="environment"><input name="environment" value="dev">' +
          '<input name="lockId" value="evil"><input name="message" value="gotcha">' +
          '<button>Claim</button></form>',
      );
    });
    let evilTarget = '';
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    try {
      const { h, url, page } = await open({ origins: [evilUrl] });
      evilTarget = url;
      // The person has been on the UI (its cookies are in the browser).
      await page.goto(`${url}/ui/locks`);
      const before = h.fixture.tip();
      await page.goto(evilUrl);
      await page.getByRole('button', { name: 'Claim' }).click();
      await onPage(page, 'Not allowed');
      expect(await shown(page.getByRole('alert'))).toContain('The form was refused');
      await expectAccessible(page);
      expect(h.fixture.tip()).toBe(before);
    } finally {
      evil.closeAllConnections();
      await new Promise((resolve) => evil.close(resolve));
    }
  });
});

describe('signing in with a browser', () => {
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainyard-ui-browser-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('with a token: the page asked for comes after the sign-in, the session is an HttpOnly cookie', async () => {
    const path = join(dir, 'tokens.yaml');
    await writeFile(
      path,
      `- name: Tara Token\n  email: tara@example.com\n  sha256: ${sha256('tara-secret-token')}\n`,
    );
    const tokens = new TokenStore(path);
    await tokens.load();
    const h = await start(WORLD, { authenticator: new Authenticator(tokens) });
    const recorded = await open({ h });
    const { url, page, context } = recorded;
    await page.goto(`${url}/ui/trains/prod`);
    await onPage(page, 'Sign in');
    await expectAccessible(page);
    await page.getByLabel('Token', { exact: true }).fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await shown(page.getByRole('alert'))).toBe('This token is not valid.');
    await page.getByLabel('Token', { exact: true }).fill('tara-secret-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await onPage(page, 'Release train to prod');
    expect(await shown(page.getByRole('banner'))).toContain('Signed in as Tara Token (tara@example.com)');
    const cookies = await context.cookies();
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual(['trainyard_csrf', 'trainyard_session']);
    for (const cookie of cookies)
      expect([cookie.httpOnly, cookie.sameSite, cookie.path]).toEqual([true, 'Lax', '/ui']);
    expect(cookies.some((cookie) => cookie.value.includes('tara-secret-token'))).toBe(false);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await onPage(page, 'Sign in');
    expectOnlyTo(recorded, [url]);
  });

  it('with OIDC: the authorization code flow with PKCE at a real OpenID provider, back to the page asked for', async () => {
    // The provider needs the UI's redirect URI, the UI the provider's address: the provider's
    // server listens first, the provider itself is made once the UI listens.
    let handle: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
    const issuerServer: Server = createServer((request, response) => handle?.(request, response));
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    try {
      const h = await start(WORLD, {
        authenticator: new Authenticator(
          undefined,
          new OidcVerifier({ issuer, audience: 'trainyard', groupsClaim: 'groups', emailClaim: 'email' }),
        ),
        ui: {
          oidc: new OidcSignIn({
            issuer,
            clientId: 'trainyard-ui',
            clientSecret: 'a-client-secret-for-the-test',
            groupsClaim: 'groups',
            emailClaim: 'email',
          }),
        },
      });
      const recorded = await open({ h, origins: [issuer] });
      const { url, page, requests } = recorded;
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: 'trainyard-ui',
            client_secret: 'a-client-secret-for-the-test',
            redirect_uris: [`${url}/ui/auth/callback`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        // The UI must use PKCE (S256) even as a confidential client.
        pkce: { required: () => true },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
        findAccount: async (_context, id) => ({
          accountId: id,
          claims: async () => ({
            sub: id,
            email: `${id}@example.com`,
            email_verified: true,
            name: 'Olivia Operator',
            groups: ['developers'],
          }),
        }),
        cookies: { keys: ['a-cookie-key-for-the-test-provider'] },
      });
      handle = provider.callback();

      await page.goto(`${url}/ui/locks`);
      await onPage(page, 'Sign in');
      await page.getByRole('link', { name: /Sign in with/ }).click();
      await page.locator('input[name="login"]').fill('olivia');
      await page.locator('input[name="password"]').fill('any');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();
      await onPage(page, 'Locks');
      expect(await shown(page.getByRole('banner'))).toContain(
        'Signed in as Olivia Operator (olivia@example.com)',
      );
      const authorization = requests.find((request) => request.url.startsWith(`${issuer}/auth?`));
      expect(authorization).toBeDefined();
      const parameters = new URL(authorization?.url as string).searchParams;
      expect(parameters.get('code_challenge_method')).toBe('S256');
      expect(parameters.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(parameters.get('redirect_uri')).toBe(`${url}/ui/auth/callback`);

      // A write as that person.
      const before = h.fixture.tip();
      await page.getByLabel('Environment', { exact: true }).selectOption('dev');
      await page.getByLabel('Lock ID', { exact: true }).fill('oidc-lock');
      await page.getByLabel('Message', { exact: true }).fill('signed in with OIDC');
      await page.getByRole('button', { name: 'Create lock' }).click();
      expect(await shown(page.getByRole('status'))).toContain("Created lock 'oidc-lock'");
      expect(h.fixture.git(['log', '-1', '--format=%an <%ae>', 'main']).trim()).toBe(
        'Olivia Operator <olivia@example.com>',
      );
      expect(h.fixture.git(['rev-parse', 'main^']).trim()).toBe(before);
      // The provider's own sign-in page asks for web fonts (refused here); the service's pages ask nothing elsewhere.
      expectOnlyTo(recorded, [url, issuer], issuer);
    } finally {
      issuerServer.closeAllConnections();
      await new Promise((resolve) => issuerServer.close(resolve));
    }
  });
});
