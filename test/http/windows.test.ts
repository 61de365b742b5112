// Deploy windows and timed locks over HTTP (windows.md), on the real clock: windows and lock
// bounds are built from the current time, far enough from their edges that a test never meets
// one; where a test needs time to pass, the app's clock is one the test moves.
import { describe, expect, it } from 'vitest';
import { FIXED_TIME, type Harness, harnessPerWorld } from '../support/appHarness.js';
import { AUTHOR_HEADERS, expectError } from '../support/httpExpectations.js';
import { type LockFixture, layoutFiles } from '../support/layout.js';
import { expectTipSnapshotEqualsFullRead } from '../support/snapshotEquality.js';

const start = harnessPerWorld();
const realClock = { clock: () => new Date() };

const DAY = 24 * 60 * 60 * 1000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Open all week: every day 00:00-24:00 UTC. */
const ALWAYS_OPEN = [
  { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00', timeZone: 'UTC' },
];

/**
 * Closed now: the whole UTC day three days ahead. Should midnight pass while the test runs, that
 * day is two days ahead and still the next start.
 */
function closedForDays(): { windows: unknown[]; nextWindowStart: string } {
  const today = new Date();
  const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) + 3 * DAY);
  return {
    windows: [{ days: [WEEKDAYS[day.getUTCDay()]], start: '00:00', end: '24:00', timeZone: 'UTC' }],
    nextWindowStart: day.toISOString(),
  };
}

const ALL = ['dev', 'staging', 'prod-de', 'prod-fr'];

/** staging has checkout 2, the prod environments 1: a train to prod deploys 2 wherever it may. */
function world(prod: { de?: object; fr?: object; frLocks?: Record<string, LockFixture> } = {}) {
  return layoutFiles({
    apps: { checkout: { team: 'shop', releases: { 1: ALL, 2: ALL } } },
    environments: {
      dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2 } },
      staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 2 } },
      'prod-de': {
        config: { upstream: { environment: 'staging' }, environmentGroup: 'prod', ...prod.de },
        deployed: { checkout: 1 },
      },
      'prod-fr': {
        config: { upstream: { environment: 'staging' }, environmentGroup: 'prod', ...prod.fr },
        deployed: { checkout: 1 },
        ...(prod.frLocks ? { locks: prod.frLocks } : {}),
      },
    },
  });
}

const DEPLOY_2 = { appsPrognoses: { prognoses: { checkout: { deployedVersion: { version: 2 } } } } };

const deployedIn = (h: Harness, environment: string) =>
  h.fixture.git(['cat-file', '-p', `main:environments/${environment}/applications/checkout/version`]);

async function prognosis(h: Harness, url = '/api/environment-groups/prod/releasetrain/prognosis') {
  const response = await h.app.inject({ url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().envsPrognoses;
}

describe('deploy windows', () => {
  it('a train deploys inside a window and skips an environment outside every window, naming the next start', async () => {
    const closed = closedForDays();
    const h = await start(
      world({ de: { deployWindows: ALWAYS_OPEN }, fr: { deployWindows: closed.windows } }),
      realClock,
    );
    const expected = {
      'prod-de': DEPLOY_2,
      'prod-fr': { skipCause: 'ENV_OUTSIDE_DEPLOY_WINDOW', nextWindowStart: closed.nextWindowStart },
    };
    expect(await prognosis(h)).toEqual(expected);

    const train = await h.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain',
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-window' },
    });
    expect(train.statusCode, train.body).toBe(200);
    expect(train.json().envsPrognoses).toEqual(expected);
    expect(deployedIn(h, 'prod-de')).toBe('../../../../applications/checkout/releases/2');
    expect(deployedIn(h, 'prod-fr')).toBe('../../../../applications/checkout/releases/1');
    const message = h.fixture.git(['log', '-1', '--format=%B', 'main']);
    expect(message).toContain(
      "\n\nTarget Environment 'prod-fr' is outside its deploy windows - skipping.\n\nRelease-Train-Target: prod\n",
    );

    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('trainyard_deploy_window_skips_total{environment="prod-fr"} 1');
    expect(metrics).not.toContain('trainyard_deploy_window_skips_total{environment="prod-de"}');
  });

  it('a train to an environment outside its windows deploys nothing and makes no commit', async () => {
    const closed = closedForDays();
    const h = await start(world({ fr: { deployWindows: closed.windows } }), realClock);
    const before = h.fixture.tip();
    const train = await h.app.inject({ method: 'PUT', url: '/api/environments/prod-fr/releasetrain' });
    expect(train.statusCode, train.body).toBe(200);
    expect(train.json()).toMatchObject({
      commitId: null,
      envsPrognoses: {
        'prod-fr': { skipCause: 'ENV_OUTSIDE_DEPLOY_WINDOW', nextWindowStart: closed.nextWindowStart },
      },
    });
    expect(h.fixture.tip()).toBe(before);
  });

  it('does not gate deployments by hand or the auto-deployment of a new release', async () => {
    const closed = closedForDays();
    const h = await start(world({ fr: { deployWindows: closed.windows } }), realClock);
    const deployment = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-fr/applications/checkout/deployment',
      payload: { version: 2, lockBehavior: 'fail' },
    });
    expect(deployment.statusCode, deployment.body).toBe(200);
    expect(deployedIn(h, 'prod-fr')).toBe('../../../../applications/checkout/releases/2');

    // dev takes the latest release; outside its window, release 3 goes there all the same.
    await h.app.inject({
      method: 'POST',
      url: '/api/environments/dev',
      payload: { upstream: { latest: true }, deployWindows: closed.windows },
    });
    const boundary = 'x-window';
    const release = await h.app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload:
        `--${boundary}\r\nContent-Disposition: form-data; name="application"\r\n\r\ncheckout\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="manifests[dev]"\r\n\r\nkind: ConfigMap\r\n` +
        `--${boundary}--\r\n`,
    });
    expect(release.statusCode, release.body).toBe(201);
    expect(deployedIn(h, 'dev')).toBe('../../../../applications/checkout/releases/3');
  });

  it('the overview says whether each environment is inside its windows now, and when the next opens', async () => {
    const closed = closedForDays();
    const h = await start(
      world({ de: { deployWindows: ALWAYS_OPEN }, fr: { deployWindows: closed.windows } }),
      realClock,
    );
    const overview = (await h.app.inject({ url: '/api/overview' })).json();
    const prod = overview.environmentGroups.find(
      (group: { environmentGroupName: string }) => group.environmentGroupName === 'prod',
    );
    const [de, fr] = prod.environments;
    expect(de).toMatchObject({ name: 'prod-de', inDeployWindow: true });
    expect(de.nextWindowStart).toBeUndefined();
    expect(fr).toMatchObject({
      name: 'prod-fr',
      inDeployWindow: false,
      nextWindowStart: closed.nextWindowStart,
    });
    expect(fr.config.deployWindows).toEqual(closed.windows);
    // Without windows: neither field.
    const staging = overview.environmentGroups.find(
      (group: { environmentGroupName: string }) => group.environmentGroupName === 'staging',
    ).environments[0];
    expect(Object.keys(staging)).not.toContain('inDeployWindow');
  });

  describe('POST /api/environments/{env} validates deployWindows', () => {
    const window = { days: ['mon'], start: '09:00', end: '16:00', timeZone: 'Europe/Berlin' };
    it.each([
      [
        'an unknown time zone',
        [{ ...window, timeZone: 'Mars/Olympus_Mons' }],
        'body.deployWindows.0.timeZone',
      ],
      ['an unknown day', [{ ...window, days: ['monday'] }], 'body.deployWindows.0.days.0'],
      ['no days', [{ ...window, days: [] }], 'body.deployWindows.0.days'],
      ['a bad start', [{ ...window, start: '9:00' }], 'body.deployWindows.0.start'],
      [
        'end before start',
        [{ ...window, start: '16:00', end: '09:00' }],
        'body.deployWindows.0.end: end must be after start',
      ],
      ['an unknown field', [{ ...window, until: '17:00' }], 'body.deployWindows.0'],
      ['not a list', window, 'body.deployWindows'],
    ])('%s: 400 naming the field, nothing written', async (_name, deployWindows, field) => {
      const h = await start(world());
      const before = h.fixture.tip();
      const response = await h.app.inject({
        method: 'POST',
        url: '/api/environments/prod-de',
        payload: { upstream: { environment: 'staging' }, deployWindows },
      });
      const body = expectError(response, 400, 'INVALID_INPUT');
      expect(body.message).toContain(field);
      expect(h.fixture.tip()).toBe(before);
    });

    it("as Kuberpult's multipart field too: 400 naming the field", async () => {
      const h = await start(world());
      const boundary = 'x-config';
      const config = JSON.stringify({ deployWindows: [{ ...window, timeZone: 'Berlin' }] });
      const response = await h.app.inject({
        method: 'POST',
        url: '/api/environments/prod-de',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: `--${boundary}\r\nContent-Disposition: form-data; name="config"\r\n\r\n${config}\r\n--${boundary}--\r\n`,
      });
      expect(expectError(response, 400, 'INVALID_INPUT').message).toContain(
        'config.deployWindows.0.timeZone',
      );
    });

    it('stores valid windows as sent', async () => {
      const h = await start(world());
      const config = {
        upstream: { environment: 'staging' },
        environmentGroup: 'prod',
        deployWindows: [window],
      };
      const response = await h.app.inject({
        method: 'POST',
        url: '/api/environments/prod-de',
        payload: config,
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(JSON.parse(h.fixture.show('environments/prod-de/config.json'))).toEqual(config);
    });
  });

  it('an invalid window from an outside commit fails the trains that need it (500 naming config.json), never "always open"', async () => {
    const h = await start(world(), realClock);
    h.fixture.commit({
      'environments/prod-fr/config.json': JSON.stringify({
        upstream: { environment: 'staging' },
        environmentGroup: 'prod',
        deployWindows: [{ days: ['mon'], start: '09:00', end: '16:00', timeZone: 'Mars/Olympus_Mons' }],
      }),
    });
    for (const url of [
      '/api/environments/prod-fr/releasetrain/prognosis',
      '/api/environment-groups/prod/releasetrain/prognosis',
    ]) {
      const body = expectError(await h.app.inject({ url }), 500, 'MANIFEST_REPO_CORRUPT');
      expect(body.message).toContain('environments/prod-fr/config.json');
      expect(body.message).toContain('deployWindows[0].timeZone');
    }
    const before = h.fixture.tip();
    expectError(
      await h.app.inject({ method: 'PUT', url: '/api/environments/prod-fr/releasetrain' }),
      500,
      'MANIFEST_REPO_CORRUPT',
    );
    expect(h.fixture.tip()).toBe(before);

    // What does not need the windows keeps working: another environment's train, the overview.
    const other = await h.app.inject({ method: 'PUT', url: '/api/environments/prod-de/releasetrain' });
    expect(other.statusCode, other.body).toBe(200);
    const overview = await h.app.inject({ url: '/api/overview' });
    expect(overview.statusCode).toBe(200);
    expect(overview.json().problems).toContainEqual({
      file: 'environments/prod-fr/config.json',
      reason: expect.stringContaining('deployWindows[0].timeZone must be an IANA time zone name'),
    });
  });
});

describe('timed locks', () => {
  const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

  it('a freeze planned ahead is stored with its bounds, blocks nothing yet, and shows them', async () => {
    const h = await start(world(), realClock);
    const validFrom = iso(DAY);
    const validUntil = iso(2 * DAY);
    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/locks/xmas',
      headers: AUTHOR_HEADERS,
      payload: { message: 'holiday freeze', validFrom, validUntil },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ lockId: 'xmas', validFrom, validUntil, inForce: false });
    for (const environment of ['prod-de', 'prod-fr']) {
      expect(h.fixture.show(`environments/${environment}/locks/xmas/valid_from`)).toBe(validFrom);
      expect(h.fixture.show(`environments/${environment}/locks/xmas/valid_until`)).toBe(validUntil);
    }
    expect(h.fixture.git(['log', '-1', '--format=%s', 'main']).trim()).toBe(
      `Created lock "xmas" on environment group "prod", in force from ${validFrom} until ${validUntil}`,
    );

    expect(await prognosis(h)).toEqual({ 'prod-de': DEPLOY_2, 'prod-fr': DEPLOY_2 });
    const overview = (await h.app.inject({ url: '/api/overview' })).json();
    const [de] = overview.environmentGroups.find(
      (group: { environmentGroupName: string }) => group.environmentGroupName === 'prod',
    ).environments;
    expect(de.locks.xmas).toMatchObject({ message: 'holiday freeze', validFrom, validUntil, inForce: false });
  });

  it('a lock in force until validUntil blocks like any lock; the prognosis shows the bound it has', async () => {
    const h = await start(world(), realClock);
    const validUntil = iso(DAY);
    const created = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-fr/locks/incident',
      payload: { message: 'incident', validUntil },
    });
    expect(created.json()).toMatchObject({ validUntil, inForce: true });
    const envs = await prognosis(h);
    expect(envs['prod-de']).toEqual(DEPLOY_2);
    expect(envs['prod-fr'].skipCause).toBe('ENV_IS_LOCKED');
    expect(envs['prod-fr'].envLocks.incident).toMatchObject({ lockId: 'incident', validUntil });
    expect(Object.keys(envs['prod-fr'].envLocks.incident)).not.toContain('validFrom');
    expect(Object.keys(envs['prod-fr'].envLocks.incident)).not.toContain('inForce');

    const deployment = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-fr/applications/checkout/deployment',
      payload: { version: 2, lockBehavior: 'fail' },
    });
    expect(expectError(deployment, 409, 'LOCKED').details).toMatchObject({
      environmentLocks: [{ lockId: 'incident', validUntil }],
    });
  });

  it.each([
    ['an interval already over', { validUntil: 'past' }, 'validUntil'],
    [
      'an inverted interval',
      { validFrom: 'in two days', validUntil: 'in a day' },
      'is not before validUntil',
    ],
    [
      'validFrom equal to validUntil',
      { validFrom: 'in a day', validUntil: 'in a day' },
      'is not before validUntil',
    ],
    ['a time without an offset', { validFrom: '2030-01-01T00:00:00' }, 'body.validFrom'],
    ['a date only', { validUntil: '2030-01-01' }, 'body.validUntil'],
    ['a day that does not exist', { validUntil: '2030-02-30T00:00:00Z' }, 'body.validUntil'],
  ])('refuses %s: 400 naming the field, nothing written', async (_name, bounds, said) => {
    const h = await start(world(), realClock);
    const before = h.fixture.tip();
    const times: Record<string, string> = {
      past: iso(-60_000),
      'in a day': iso(DAY),
      'in two days': iso(2 * DAY),
    };
    const payload = {
      message: 'm',
      ...Object.fromEntries(Object.entries(bounds).map(([k, v]) => [k, times[v] ?? v])),
    };
    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-fr/locks/bad',
      payload,
    });
    expect(expectError(response, 400, 'INVALID_INPUT').message).toContain(said);
    expect(h.fixture.tip()).toBe(before);
  });

  it('a freeze begins and ends by itself (the clock moves)', async () => {
    let now = FIXED_TIME;
    const h = await start(world(), { clock: () => now });
    const hour = 60 * 60 * 1000;
    const at = (offset: number) => new Date(FIXED_TIME.getTime() + offset);
    const lock = await h.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/locks/freeze',
      payload: {
        message: 'freeze',
        validFrom: at(hour).toISOString(),
        validUntil: at(2 * hour).toISOString(),
      },
    });
    expect(lock.json().inForce).toBe(false);
    expect(await prognosis(h)).toEqual({ 'prod-de': DEPLOY_2, 'prod-fr': DEPLOY_2 });

    now = at(hour);
    const frozen = await prognosis(h);
    expect(frozen['prod-de'].skipCause).toBe('ENV_IS_LOCKED');
    const before = h.fixture.tip();
    const train = await h.app.inject({ method: 'PUT', url: '/api/environment-groups/prod/releasetrain' });
    expect(train.json().commitId).toBeNull();
    expect(h.fixture.tip()).toBe(before);
    // A deployment by hand meets the lock too: recorded as queued.
    const queued = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/applications/checkout/deployment',
      payload: { version: 2, lockBehavior: 'record' },
    });
    expect(queued.json().outcome).toBe('queued');

    now = at(2 * hour);
    const over = (await h.app.inject({ url: '/api/overview' })).json().environmentGroups;
    expect(
      over.find((group: { environmentGroupName: string }) => group.environmentGroupName === 'prod'),
    ).toMatchObject({
      environments: [{ locks: { freeze: { inForce: false } } }, { locks: { freeze: { inForce: false } } }],
    });
    // A write elsewhere leaves the expired lock; the train, which touches both, removes it.
    await h.app.inject({
      method: 'PUT',
      url: '/api/environments/dev/locks/other',
      payload: { message: 'm' },
    });
    expect(h.fixture.modeOf('environments/prod-de/locks/freeze/valid_until')).toBeDefined();
    const thawed = await h.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain',
      headers: { 'x-request-id': 'req-thaw' },
    });
    expect(thawed.statusCode, thawed.body).toBe(200);
    expect(thawed.json().envsPrognoses).toEqual({ 'prod-de': DEPLOY_2, 'prod-fr': DEPLOY_2 });
    expect(deployedIn(h, 'prod-fr')).toBe('../../../../applications/checkout/releases/2');
    for (const environment of ['prod-de', 'prod-fr']) {
      expect(
        h.fixture.modeOf(`environments/${environment}/locks/freeze/message`),
        environment,
      ).toBeUndefined();
    }
    const message = h.fixture.git(['log', '-1', '--format=%B', 'main']);
    const until = at(2 * hour).toISOString();
    expect(message).toContain(
      `\n\nRemoved lock "freeze" on environment "prod-de": it was in force until ${until}\n` +
        `Removed lock "freeze" on environment "prod-fr": it was in force until ${until}\n\n` +
        'Release-Train-Target: prod\nRequest-Id: req-thaw\n',
    );
    // What the service keeps of the commit is what git has.
    await expectTipSnapshotEqualsFullRead(h.repo, h.fixture.path, { kept: true });
  });

  it('reads bounds written by others as they are, and a bound that is no time is a corrupt lock', async () => {
    const h = await start(
      world({
        frLocks: {
          xmas: {
            message: 'freeze',
            validFrom: '2020-12-20T00:00:00+01:00\n',
            validUntil: '2099-01-02T00:00:00+01:00',
          },
        },
      }),
      realClock,
    );
    const envs = await prognosis(h);
    expect(envs['prod-fr'].envLocks.xmas).toMatchObject({
      validFrom: '2020-12-20T00:00:00+01:00',
      validUntil: '2099-01-02T00:00:00+01:00',
    });

    h.fixture.commit({ 'environments/prod-fr/locks/xmas/valid_from': 'next tuesday' });
    const body = expectError(
      await h.app.inject({ url: '/api/environments/prod-fr/releasetrain/prognosis' }),
      500,
      'MANIFEST_REPO_CORRUPT',
    );
    expect(body.message).toContain('environments/prod-fr/locks/xmas/valid_from');
    const overview = (await h.app.inject({ url: '/api/overview' })).json();
    expect(overview.problems).toContainEqual({
      file: 'environments/prod-fr/locks/xmas/valid_from',
      reason: expect.stringContaining('not an RFC 3339 time'),
    });
  });
});
