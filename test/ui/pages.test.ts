// The web UI over HTTP (inject, a cookie jar, forms as a browser sends them): what each page says
// about a real repo, every form's write as one commit through the services (same message, author
// and trailers as the API), CSRF and content-type refusals that change nothing, and that the API
// is untouched by the UI's form parsing and sessions. The sign-in flows: signIn.test.ts; the pages
// in a real browser: browser.test.ts.
import { describe, expect, it } from 'vitest';
import type { ReleaseTrainPlan } from '../../src/planning/releaseTrain.js';
import { INLINE_ROWS, trainModel } from '../../src/ui/pages/train.js';
import { PROD_TRAIN_MESSAGE, WORLD } from '../http/world.js';
import { type Harness, harnessPerWorld } from '../support/appHarness.js';
import { DEFAULT_AUTHOR, expectError, expectOneCommit } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { csrfIn, runFormOf, textOf, UiClient } from '../support/uiClient.js';

const start = harnessPerWorld();

/** Deploys a release through the API, behind the back of a page a person has open. */
async function deployBehindTheBack(h: Harness, environment: string, app: string, version: number) {
  const response = await h.app.inject({
    method: 'PUT',
    url: `/api/environments/${environment}/applications/${app}/deployment`,
    payload: { version, lockBehavior: 'fail' },
  });
  expect(response.statusCode, response.body).toBe(200);
}

describe('the overview', () => {
  it('/ and /ui lead to /ui/', async () => {
    const h = await start(WORLD);
    for (const url of ['/', '/ui']) {
      const response = await h.app.inject({ url });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe('/ui/');
    }
  });

  it('has a table per group in upstream order, environments as column headers and apps as row headers, each cell the version with its marks in words', async () => {
    const h = await start(WORLD);
    const page = await new UiClient(h.app).get('/ui/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const headings = [...page.body.matchAll(/<h2 id="group-\d+">([^<]+)<\/h2>/g)].map((match) => match[1]);
    // dev takes the latest releases, staging takes dev's; prod's environments take staging's.
    expect(headings).toEqual(['Environment dev', 'Environment staging', 'Group prod']);
    const prod = page.body.slice(page.body.indexOf('Group prod'));
    const columns = [...prod.matchAll(/<th scope="col">(?:<a href="[^"]+">)?([^<]+)/g)].map(
      (match) => match[1],
    );
    expect(columns).toEqual([
      'Application',
      'Team',
      'prod-ca',
      'prod-de',
      'prod-au',
      'prod-br',
      'prod-jp',
      'prod-us',
    ]);
    const rows = [...prod.matchAll(/<tr><th scope="row"><a href="\/ui\/apps\/([^"]+)">/g)].map(
      (match) => match[1],
    );
    // Apps that are in some environment of the group (docs only has a lock in prod-ca).
    expect(rows).toEqual(['cart', 'checkout', 'docs', 'search']);
    const checkout = textOf(
      /<tr><th scope="row"><a href="\/ui\/apps\/checkout">[\s\S]*?<\/tr>/.exec(prod)?.[0] ?? '',
    );
    // prod-ca runs 1 (staging runs 2) with 3 queued; prod-de runs 1 under an environment lock.
    expect(checkout).toBe('checkout shop 1 (queued 3, behind) 1 (env lock, behind)');
    const docs = textOf(
      /<tr><th scope="row"><a href="\/ui\/apps\/docs">[\s\S]*?<\/tr>/.exec(prod)?.[0] ?? '',
    );
    expect(docs).toBe('docs (app lock) (env lock)');
    expect(prod).toContain('>prod-de</a> <span class="m lock">locked</span></th>');
  });

  it('shows display versions, and the team and application filters from the URL', async () => {
    const files = layoutFiles({
      apps: {
        checkout: { team: 'shop', releases: { 1: ['dev'] } },
        search: { team: 'discovery', releases: { 1: ['dev'] } },
      },
      environments: { dev: { config: { upstream: { latest: true } }, deployed: { checkout: 1, search: 1 } } },
    });
    files['applications/checkout/releases/1/display_version'] = '1.4.2';
    const h = await start(files);
    const ui = new UiClient(h.app);
    const all = await ui.get('/ui/');
    expect(all.body).toContain('<td title="version 1">1.4.2</td>');
    // A commit made with git is seen at once, a display version too.
    h.fixture.commit({ 'applications/checkout/releases/1/display_version': '1.4.3' });
    expect((await ui.get('/ui/')).body).toContain('<td title="version 1">1.4.3</td>');
    const shop = await ui.get('/ui/?team=shop&app=');
    expect(shop.body).toContain('/ui/apps/checkout');
    expect(shop.body).not.toContain('/ui/apps/search');
    expect(shop.body).toContain('<option value="shop" selected>');
    const named = await ui.get('/ui/?app=EAR');
    expect(named.body).toContain('/ui/apps/search');
    expect(named.body).not.toContain('/ui/apps/checkout');
    expect(textOf(named.body)).toContain('Showing 1 of 2 applications whose name contains EAR');
  });

  it('refuses a filter that is no team name, and a query it does not know, with a page in words', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const bad = await ui.get('/ui/?team=Shop!');
    expect(bad.statusCode).toBe(400);
    expect(textOf(bad.body)).toContain('Team: team name must match');
    const unknown = await ui.get('/ui/?tem=shop');
    expect(unknown.statusCode).toBe(400);
    expect(textOf(unknown.body)).toContain("unknown field 'tem'");
    const missing = await ui.get('/ui/nowhere');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(textOf(missing.body)).toContain('There is no page /ui/nowhere.');
  });

  it('answers with headers that keep its pages to itself', async () => {
    const h = await start(WORLD);
    const page = await new UiClient(h.app).get('/ui/');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'; script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    const script = await h.app.inject({
      url: '/ui/static/htmx.min.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-encoding']).toBe('gzip');
    // htmx, minified and gzipped: tens of KiB.
    expect(script.rawPayload.length).toBeLessThan(30 * 1024);
  });
});

describe('the release-train page', () => {
  it('says per environment what is deployed and what is skipped, why, and which lock causes it', async () => {
    const h = await start(WORLD);
    const text = textOf((await new UiClient(h.app).get('/ui/trains/prod')).body);
    expect(text).toContain('Release train to prod');
    expect(text).toContain('1 deployment to 1 environment');
    expect(text).toContain(
      "prod-au Skipped: its upstream environment 'nowhere' does not exist UPSTREAM_ENV_CONFIG_NOT_FOUND",
    );
    expect(text).toContain(
      'prod-ca 1 application to deploy from staging, 4 skipped, 1 already in the upstream version',
    );
    expect(text).toContain('checkout 1 2');
    expect(text).toContain(
      "billing Skipped: its team 'payments' is locked here TEAM_IS_LOCKED lock audit by Bo <bo@example.com>, 2026-11-20 09:00 UTC: “audit week”",
    );
    expect(text).toContain(
      'docs Skipped: the application is locked here APP_IS_LOCKED lock docs-freeze by Ana <ana@example.com>',
    );
    expect(text).toContain('legacy Skipped: it is not deployed in staging');
    expect(text).toContain('Already in the upstream version (1): search');
    expect(text).toContain(
      'prod-de Skipped: the environment is locked ENV_IS_LOCKED lock xmas by Ana <ana@example.com>, 2026-11-20 09:00 UTC: “code freeze”',
    );
    expect(text).toContain('Run release train to prod');
  });

  it("runs the train as one commit, with the API's message and trailers, and shows the commit", async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const page = await ui.get('/ui/trains/prod');
    const fields = runFormOf(page.body);
    // The plan the page shows is the API's: its id is the prognosis's ETag.
    const api = await h.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
    expect(api.headers.etag).toBe(`"${fields.planId}"`);
    expect(fields.planCommit).toBe(h.fixture.tip());
    expect(fields.plannedAt).toBe('2026-11-26T10:00:00.000Z');
    const before = h.fixture.tip();
    const run = await ui.post('/ui/trains/prod/run', fields, { 'x-request-id': 'ui-train-1' });
    expect(run.statusCode).toBe(200);
    const commit = expectOneCommit(h, before, 'ui-train-1', DEFAULT_AUTHOR);
    expect(h.fixture.git(['log', '-1', '--format=%B', 'main'])).toBe(`${PROD_TRAIN_MESSAGE('ui-train-1')}\n`);
    expect(textOf(run.body)).toContain(
      `the release train committed ${commit}: 1 deployment to 1 environment`,
    );
    expect(h.fixture.show('environments/prod-ca/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/2',
    );
  });

  it('answers an unknown target with a page naming it, and writes nothing', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const page = await ui.get('/ui/trains/nowhere');
    expect(page.statusCode).toBe(404);
    expect(textOf(page.body)).toContain("No environment or environment group named 'nowhere' exists.");
    const before = h.fixture.tip();
    const run = await ui.post('/ui/trains/nowhere/run', {
      _csrf: await ui.csrfOf('/ui/locks'),
      planId: 'a'.repeat(64),
    });
    expect(run.statusCode).toBe(404);
    expect(textOf(run.body)).toContain('Nothing was changed in the manifest repo.');
    expect(h.fixture.tip()).toBe(before);
  });
});

describe('the plan-bound train', () => {
  it('refuses a plan that changed since the page showed it (412), says what changed, and runs the new plan it offers', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const shown = runFormOf((await ui.get('/ui/trains/prod')).body);
    // Behind the page's back: staging gets checkout 3, so a train now takes 3 to prod-ca, not 2.
    await deployBehindTheBack(h, 'staging', 'checkout', 3);
    const before = h.fixture.tip();
    const refused = await ui.post('/ui/trains/prod/run', shown, { 'x-request-id': 'ui-train-412' });
    expect(refused.statusCode).toBe(412);
    expect(refused.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(h.fixture.tip()).toBe(before);
    const text = textOf(refused.body);
    expect(text).toContain('Release train to prod: the plan changed');
    expect(text).toContain('Not run: the plan of the release train is no longer the one the page showed');
    expect(text).toContain(
      'What changed prod-ca: checkout is now deployed in version 3, was deployed in version 2. The plan now',
    );
    // The new plan, with its own id (the API's ETag now) and its own button.
    const offered = runFormOf(refused.body);
    const api = await h.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
    expect(api.headers.etag).toBe(`"${offered.planId}"`);
    expect(offered.planId).not.toBe(shown.planId);
    expect(text).toContain('Run release train to prod');
    expect(text).toContain('checkout 1 3');
    const run = await ui.post('/ui/trains/prod/run', offered, { 'x-request-id': 'ui-train-new' });
    expect(run.statusCode).toBe(200);
    const commit = expectOneCommit(h, before, 'ui-train-new', DEFAULT_AUTHOR);
    expect(textOf(run.body)).toContain(`the release train committed ${commit}`);
    expect(h.fixture.show('environments/prod-ca/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/3',
    );
  });

  it('says what changed for an environment that a lock now skips, and only that the plan changed when the shown plan cannot be made again', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const shown = runFormOf((await ui.get('/ui/trains/prod')).body);
    const lock = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/locks/behind-the-back',
      payload: { message: 'while the page was open' },
    });
    expect(lock.statusCode, lock.body).toBe(200);
    const before = h.fixture.tip();
    const refused = await ui.post('/ui/trains/prod/run', shown);
    expect(refused.statusCode).toBe(412);
    expect(textOf(refused.body)).toContain(
      'prod-ca: now skipped (the environment is locked), was taking from staging.',
    );
    // A form without where and when its plan was made: the refusal still holds, in fewer words.
    const bare = await ui.post('/ui/trains/prod/run', {
      _csrf: shown._csrf as string,
      planId: shown.planId as string,
    });
    expect(bare.statusCode).toBe(412);
    expect(textOf(bare.body)).toContain('The plan shown before cannot be made again here');
    // A commit id that is no commit: the same.
    const forged = await ui.post('/ui/trains/prod/run', { ...shown, planCommit: 'f'.repeat(40) });
    expect(forged.statusCode).toBe(412);
    expect(textOf(forged.body)).toContain('The plan shown before cannot be made again here');
    expect(h.fixture.tip()).toBe(before);
    // A form without a plan id runs nothing.
    const unbound = await ui.post('/ui/trains/prod/run', { _csrf: shown._csrf as string });
    expect(unbound.statusCode).toBe(400);
    expect(textOf(unbound.body)).toContain('Plan id: is required');
    expect(h.fixture.tip()).toBe(before);
  });
});

describe('a large train page', () => {
  it('lists no application when the plan has more than INLINE_ROWS rows; each environment fetches its own when opened', () => {
    const apps = Array.from({ length: INLINE_ROWS }, (_, index) => ({
      app: `app-${index}`,
      outcome: { kind: 'deploy', version: 2, manifestBlobId: 'b', previousVersion: 1 } as const,
    }));
    const plan = (count: number): ReleaseTrainPlan => ({
      target: 'prod',
      targetType: 'unknown',
      resolvedType: 'environmentGroup',
      team: undefined,
      baseCommitId: null,
      environments: [
        {
          environment: 'prod-ca',
          outcome: { kind: 'train', source: { kind: 'latest' }, apps: apps.slice(0, count) },
        },
      ],
    });
    // One row per deployment and one per environment.
    expect(trainModel(plan(INLINE_ROWS - 1)).lazy).toBe(false);
    expect(trainModel(plan(INLINE_ROWS)).lazy).toBe(true);
  });

  it("gives one environment's applications as a fragment, for the script to put in its place", async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const rows = await ui.get('/ui/trains/prod-ca?part=rows', { 'hx-request': 'true' });
    expect(rows.statusCode).toBe(200);
    expect(rows.body).not.toContain('<html');
    expect(rows.body.startsWith('<div class="rows">')).toBe(true);
    expect(textOf(rows.body)).toContain(
      'To deploy to prod-ca from staging Application Deployed now After the train Manifest diff checkout 1 2 show',
    );
    expect(textOf(rows.body)).toContain("billing Skipped: its team 'payments' is locked here");
    const skipped = await ui.get('/ui/trains/prod-de?part=rows', { 'hx-request': 'true' });
    expect(textOf(skipped.body)).toContain('Skipped now: the environment is locked ENV_IS_LOCKED');
    // Asked for without the script: the page.
    expect((await ui.get('/ui/trains/prod-ca?part=rows')).body).toContain(
      '<h1>Release train to prod-ca</h1>',
    );
  });
});

describe('manifest diffs', () => {
  it('link each deployment of the train page to its diff: a fragment for the script, a page without it', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const page = (await ui.get('/ui/trains/prod')).body;
    expect(page).toContain('<a href="/ui/trains/prod-ca/diff/checkout">show</a>');
    const fragment = await ui.get('/ui/trains/prod-ca/diff/checkout', { 'hx-request': 'true' });
    expect(fragment.statusCode).toBe(200);
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body).toContain(
      '<pre class="manifest-diff" tabindex="0">' +
        '<span class="file">--- environments/prod-ca/applications/checkout/manifests/manifests.yaml</span>\n' +
        '<span class="file">+++ environments/prod-ca/applications/checkout/manifests/manifests.yaml</span>\n' +
        '<span class="hunk">@@ -1,3 +1,3 @@</span>\n' +
        ' app: checkout\n<del>-version: 1</del>\n<ins>+version: 2</ins>\n environment: prod-ca\n</pre>',
    );
    expect(textOf(fragment.body)).toContain('Manifest diff of checkout in prod-ca, version 1 to version 2');
    const full = await ui.get('/ui/trains/prod-ca/diff/checkout');
    expect(full.body).toContain('<h1>Manifest diff of checkout in prod-ca</h1>');
    expect(full.body).toContain('<del>-version: 1</del>');
    const skipped = await ui.get('/ui/trains/prod-ca/diff/docs', { 'hx-request': 'true' });
    expect(textOf(skipped.body)).toContain(
      'A release train to prod-ca would not deploy docs now: it is skipped: the application is locked here.',
    );
    const locked = await ui.get('/ui/trains/prod-de/diff/checkout', { 'hx-request': 'true' });
    expect(textOf(locked.body)).toContain('the environment is skipped: the environment is locked');
    expect((await ui.get('/ui/trains/nowhere/diff/checkout')).statusCode).toBe(404);
    // The run's result page shows the plan applied, without diff links (the diff is of what is deployed now).
    const run = await ui.post('/ui/trains/prod/run', runFormOf(page));
    expect(run.body).not.toContain('/diff/');
  });

  it('escape the manifests, and mark a diff cut at 64 KiB', async () => {
    const files = layoutFiles({
      apps: { web: { team: 'shop', releases: { 1: ['dev'], 2: ['dev'] } } },
      environments: { dev: { config: { upstream: { latest: true } }, deployed: { web: 1 } } },
    });
    files['applications/web/releases/2/environments/dev/manifests.yaml'] =
      `kind: <script>alert("x")</script>\n${'line: a long manifest line of padding\n'.repeat(3000)}`;
    const h = await start(files);
    const ui = new UiClient(h.app);
    const diff = await ui.get('/ui/trains/dev/diff/web', { 'hx-request': 'true' });
    expect(diff.statusCode).toBe(200);
    expect(diff.body).not.toContain('<script>');
    expect(diff.body).toContain('<ins>+kind: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</ins>');
    expect(textOf(diff.body)).toContain('Cut: the diff is longer than the service shows');
    expect(diff.body.length).toBeLessThan(100 * 1024);
  });
});

describe('forms', () => {
  it("refuse a POST without the CSRF token of the page, or with another browser's, and change nothing", async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const before = h.fixture.tip();
    const none = await ui.post('/ui/trains/prod/run', {});
    expect(none.statusCode).toBe(403);
    expect(textOf(none.body)).toContain('The form was refused: its security token is missing');
    const other = new UiClient(h.app);
    const otherToken = await other.csrfOf('/ui/locks');
    await ui.get('/ui/');
    const foreign = await ui.post('/ui/trains/prod/run', { _csrf: otherToken });
    expect(foreign.statusCode).toBe(403);
    const forged = await ui.post('/ui/locks', {
      _csrf: `${await ui.csrfOf('/ui/locks')}x`,
      kind: 'environment',
      environment: 'dev',
      lockId: 'forged',
      message: 'no',
    });
    expect(forged.statusCode).toBe(403);
    expect(h.fixture.tip()).toBe(before);
  });

  it('take only form bodies; the API still refuses them', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    await ui.get('/ui/');
    const json = await ui.post('/ui/locks', {}, { 'content-type': 'application/json' });
    expect(json.statusCode).toBe(415);
    const api = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/dev/locks/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'message=hello',
    });
    expectError(api, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('set only HttpOnly, SameSite=Lax cookies of /ui', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    await ui.get('/ui/locks');
    expect(ui.setCookies.length).toBeGreaterThan(0);
    for (const cookie of ui.setCookies) {
      expect(cookie).toMatch(/; Path=\/ui(;|$)/);
      expect(cookie).toMatch(/; HttpOnly(;|$)/);
      expect(cookie).toMatch(/; SameSite=Lax(;|$)/);
    }
  });
});

describe('the locks page', () => {
  it('creates a lock of each kind as one commit, and says so on the next page', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const forms: [Record<string, string>, string][] = [
      [{ kind: 'environment', environment: 'dev' }, 'environments/dev/locks/ui-lock/message'],
      [{ kind: 'group', group: 'prod' }, 'environments/prod-us/locks/ui-lock/message'],
      [
        { kind: 'application', environment: 'staging', application: 'checkout' },
        'environments/staging/applications/checkout/locks/ui-lock/message',
      ],
      [
        { kind: 'team', environment: 'dev', team: 'shop' },
        'environments/dev/teams/shop/locks/ui-lock/message',
      ],
    ];
    for (const [fields, path] of forms) {
      const before = h.fixture.tip();
      const csrf = await ui.csrfOf('/ui/locks');
      const created = await ui.post(
        '/ui/locks',
        { _csrf: csrf, ...fields, lockId: 'ui-lock', message: 'from the UI', suggestedLifetime: '2d' },
        { 'x-request-id': `ui-lock-${fields.kind}` },
      );
      expect(created.statusCode, textOf(created.body)).toBe(303);
      expect(created.headers.location).toBe('/ui/locks');
      expectOneCommit(h, before, `ui-lock-${fields.kind}`, DEFAULT_AUTHOR);
      expect(h.fixture.show(path)).toBe('from the UI');
      expect(h.fixture.show(path.replace(/message$/, 'suggested_lifetime'))).toBe('2d');
      const next = textOf((await ui.get('/ui/locks')).body);
      expect(next).toContain("Done: Created lock 'ui-lock' on");
    }
    const page = textOf((await ui.get('/ui/locks')).body);
    // The group lock is one row for the group; the flash is gone.
    expect(page).toContain(
      'group prod (prod-au, prod-br, prod-ca, prod-de, prod-jp, prod-us) ui-lock from the UI',
    );
    expect(page).not.toContain('Done:');
  });

  it('keeps what was typed and says what is wrong when the form does not name a lock, and writes nothing', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const before = h.fixture.tip();
    const csrf = await ui.csrfOf('/ui/locks');
    const page = await ui.post('/ui/locks', {
      _csrf: csrf,
      kind: 'application',
      environment: 'dev',
      group: 'prod',
      lockId: 'half',
      message: 'a message I typed',
    });
    expect(page.statusCode).toBe(400);
    const text = textOf(page.body);
    expect(text).toContain(
      'Not created: Group: leave it empty for this kind of lock; Application: is required for this kind of lock',
    );
    expect(page.body).toContain('>a message I typed</textarea>');
    const unknown = await ui.post('/ui/locks', {
      _csrf: csrf,
      kind: 'environment',
      environment: 'nowhere',
      lockId: 'x1',
      message: 'm',
    });
    expect(unknown.statusCode).toBe(404);
    expect(textOf(unknown.body)).toContain('Not created:');
    expect(h.fixture.tip()).toBe(before);
  });

  it('lists every lock with its age, flags an exceeded suggested lifetime, and deletes one after a confirmation', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const text = textOf((await ui.get('/ui/locks')).body);
    // FIXED_TIME is 2026-11-26 10:00; xmas was created 2026-11-20 09:00 with a suggested 7d.
    expect(text).toContain(
      'environment prod-de xmas code freeze Ana <ana@example.com> 2026-11-20 09:00 UTC 6 days 7d in force Delete',
    );
    expect(text).toContain('team team payments in prod-ca audit audit week Bo <bo@example.com>');
    expect(text).toContain('application docs in prod-ca docs-freeze rewriting (CI link)');
    const csrf = await ui.csrfOf('/ui/locks');
    const before = h.fixture.tip();
    const target = { _csrf: csrf, kind: 'environment', environment: 'prod-de', lockId: 'xmas' };
    const confirm = await ui.post('/ui/locks/delete', target);
    expect(confirm.statusCode).toBe(200);
    expect(textOf(confirm.body)).toContain(
      'Delete lock xmas? The environment lock xmas on environment prod-de will be removed',
    );
    expect(h.fixture.tip()).toBe(before);
    const deleted = await ui.post(
      '/ui/locks/delete',
      { ...target, _csrf: csrfIn(confirm.body), confirm: 'yes' },
      {
        'x-request-id': 'ui-delete',
      },
    );
    expect(deleted.statusCode).toBe(303);
    expectOneCommit(h, before, 'ui-delete', DEFAULT_AUTHOR);
    expect(h.fixture.git(['log', '-1', '--format=%s', 'main']).trim()).toBe(
      'Deleted lock "xmas" on environment "prod-de"',
    );
    expect(h.fixture.modeOf('environments/prod-de/locks/xmas/message')).toBeUndefined();
  });

  it('flags a lock older than its suggested lifetime', async () => {
    const h = await start(
      layoutFiles({
        environments: {
          dev: {
            locks: {
              old: { message: 'too long', suggestedLifetime: '2d', createdAt: '2026-11-20T09:00:00Z' },
            },
          },
          qa: {
            locks: { young: { message: 'fine', suggestedLifetime: '1w', createdAt: '2026-11-25T09:00:00Z' } },
          },
        },
      }),
    );
    const page = (await new UiClient(h.app).get('/ui/locks')).body;
    expect(page).toMatch(/<tr class="exceeded">[\s\S]*?old[\s\S]*?2d <span class="m lock">exceeded<\/span>/);
    expect(page).not.toMatch(/young[\s\S]*?exceeded/);
  });
});

describe('timed locks', () => {
  it('are listed with their window and whether they are in force now; the overview marks only those in force', async () => {
    // FIXED_TIME is 2026-11-26 10:00 UTC.
    const h = await start(
      layoutFiles({
        apps: { web: { team: 'shop', releases: { 1: ['dev'] } } },
        environments: {
          dev: {
            config: { upstream: { latest: true } },
            deployed: { web: 1 },
            locks: {
              later: {
                message: 'xmas',
                validFrom: '2026-12-20T09:00:00Z',
                validUntil: '2026-12-27T00:00:00Z',
              },
              over: { message: 'last week', validUntil: '2026-11-20T00:00:00Z' },
            },
            appLocks: { web: { now: { message: 'migrating', validUntil: '2026-11-27T00:00:00Z' } } },
          },
        },
      }),
    );
    const ui = new UiClient(h.app);
    const locks = textOf((await ui.get('/ui/locks')).body);
    expect(locks).toContain(
      'environment dev later xmas Ana <ana@example.com> 2026-11-20 09:00 UTC 6 days not yet in force (from 2026-12-20 09:00 UTC until 2026-12-27 00:00 UTC)',
    );
    expect(locks).toContain('environment dev over last week');
    expect(locks).toContain('expired (until 2026-11-20 00:00 UTC)');
    expect(locks).toContain('application web in dev now migrating');
    expect(locks).toContain('in force (until 2026-11-27 00:00 UTC)');
    const overview = (await ui.get('/ui/')).body;
    expect(overview).toContain('>dev</a> <span class="m">timed lock not in force</span></th>');
    expect(
      textOf(/<tr><th scope="row"><a href="\/ui\/apps\/web">[\s\S]*?<\/tr>/.exec(overview)?.[0] ?? ''),
    ).toBe('web shop 1 (app lock)');
    expect(textOf((await ui.get('/ui/apps/web')).body)).toContain(
      'application lock now by Ana <ana@example.com>: “migrating” (in force: until 2026-11-27 00:00 UTC)',
    );
  });

  it('are created from the form, its times read as UTC; a window the API refuses is refused in words, and nothing is written', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const page = (await ui.get('/ui/locks')).body;
    expect(page).toContain('<label for="lock-valid-from">Valid from (UTC)</label>');
    expect(page).toContain('name="validUntil" type="datetime-local"');
    const fields = {
      _csrf: csrfIn(page),
      kind: 'environment',
      environment: 'dev',
      lockId: 'holidays',
      message: 'nobody is here',
    };
    const before = h.fixture.tip();
    const past = await ui.post('/ui/locks', { ...fields, validUntil: '2026-11-01T00:00' });
    expect(past.statusCode).toBe(400);
    expect(textOf(past.body)).toContain(
      'Not created: validUntil 2026-11-01T00:00:00Z is not in the future (it is 2026-11-26T10:00:00.000Z): the lock would never be in force.',
    );
    // What was typed is shown again.
    expect(past.body).toContain('name="validUntil" type="datetime-local" value="2026-11-01T00:00"');
    const garbled = await ui.post('/ui/locks', { ...fields, validFrom: 'next tuesday' });
    expect(garbled.statusCode).toBe(400);
    expect(textOf(garbled.body)).toContain('Not created: Valid from (UTC): must be a date and time in UTC');
    expect(h.fixture.tip()).toBe(before);
    const created = await ui.post(
      '/ui/locks',
      { ...fields, validFrom: '2026-12-20T09:00', validUntil: '2026-12-27T00:00+01:00' },
      { 'x-request-id': 'ui-timed-lock' },
    );
    expect(created.statusCode, textOf(created.body)).toBe(303);
    expectOneCommit(h, before, 'ui-timed-lock', DEFAULT_AUTHOR);
    expect(h.fixture.show('environments/dev/locks/holidays/valid_from')).toBe('2026-12-20T09:00:00.000Z');
    expect(h.fixture.show('environments/dev/locks/holidays/valid_until')).toBe('2026-12-26T23:00:00.000Z');
    expect(textOf((await ui.get('/ui/locks')).body)).toContain(
      'not yet in force (from 2026-12-20 09:00 UTC until 2026-12-26 23:00 UTC)',
    );
  });
});

describe('the application and history pages', () => {
  it('show the releases, where each runs, and deploy a release by hand as one commit', async () => {
    const h = await start(WORLD);
    const ui = new UiClient(h.app);
    const page = textOf((await ui.get('/ui/apps/checkout')).body);
    expect(page).toContain('checkout Team shop.');
    expect(page).toContain('prod-ca (prod) 1 3 none');
    expect(page).toContain('prod-de (prod) 1 environment lock xmas by Ana <ana@example.com>: “code freeze”');
    expect(page).toMatch(/Releases of checkout, newest first Version .* 3 .* dev/);
    const before = h.fixture.tip();
    const deployed = await ui.post(
      '/ui/apps/checkout/deploy',
      {
        _csrf: await ui.csrfOf('/ui/apps/checkout'),
        environment: 'staging',
        version: '3',
        lockBehavior: 'fail',
      },
      { 'x-request-id': 'ui-deploy' },
    );
    expect(deployed.statusCode).toBe(303);
    expectOneCommit(h, before, 'ui-deploy', DEFAULT_AUTHOR);
    expect(h.fixture.show('environments/staging/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/3',
    );
    expect(textOf((await ui.get('/ui/apps/checkout')).body)).toContain(
      'Done: Deployed version 3 of checkout in staging',
    );
    const locked = await ui.post('/ui/apps/checkout/deploy', {
      _csrf: await ui.csrfOf('/ui/apps/checkout'),
      environment: 'prod-de',
      version: '3',
      lockBehavior: 'fail',
    });
    expect(locked.statusCode).toBe(409);
    expect(textOf(locked.body)).toContain("'checkout' is locked in 'prod-de'; nothing was deployed.");
    const history = textOf((await ui.get('/ui/history?application=checkout')).body);
    expect(history).toContain('deployment deployed version 3 of "checkout" to "staging"');
    expect(history).toContain('ui-deploy');
    expect((await ui.get('/ui/apps/nothing')).statusCode).toBe(404);
  });
});
