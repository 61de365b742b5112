// Plan ids and manifest diffs (plans.md) through the HTTP API: the prognosis's ETag and 304, the
// train's planId and If-Match (412 PLAN_CHANGED, also after a re-plan on a moved branch), and
// ?diff=true. The same over real processes, replicas and push races: test/plans.test.ts.

import { applyPatch, parsePatch } from 'diff';
import { describe, expect, it } from 'vitest';
import type { ChainChanges } from '../../src/manifest/repository.js';
import { ErrorResponseSchema } from '../../src/schemas/error.js';
import {
  PlanChangedResponseSchema,
  PrognosisResponseSchema,
  TrainResponseSchema,
} from '../../src/schemas/releaseTrain.js';
import { harnessPerWorld } from '../support/appHarness.js';
import { layoutFiles, manifestContent } from '../support/layout.js';
import { PROD_PROGNOSIS, WORLD } from './world.js';

const start = harnessPerWorld();

const PROD = '/api/environment-groups/prod/releasetrain/prognosis';
const PROD_TRAIN = '/api/environment-groups/prod/releasetrain';
const PLAN_ID = /^[0-9a-f]{64}$/;

const etagOf = (response: { headers: Record<string, unknown> }) => String(response.headers.etag);
const idOf = (response: { headers: Record<string, unknown> }) => etagOf(response).slice(1, -1);
const deployedManifest = (environment: string, app: string) =>
  `environments/${environment}/applications/${app}/manifests/manifests.yaml`;

describe('plan ids of prognoses', () => {
  it('every prognosis answer carries ETag "<planId>", the same for the same plan on either path', async () => {
    const harness = await start(WORLD);
    const group = await harness.app.inject({ url: PROD });
    expect(group.statusCode).toBe(200);
    expect(etagOf(group)).toMatch(/^"[0-9a-f]{64}"$/);
    // The older path resolves the group: the same decisions, the same id.
    const unknown = await harness.app.inject({ url: '/api/environments/prod/releasetrain/prognosis' });
    expect(etagOf(unknown)).toBe(etagOf(group));
    const environment = await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    expect(etagOf(environment)).toMatch(/^"[0-9a-f]{64}"$/);
    expect(etagOf(environment)).not.toBe(etagOf(group));
    // A team's plan is another plan, even where it decides the same for the apps it lists.
    const team = await harness.app.inject({ url: `${PROD}?team=shop` });
    expect(etagOf(team)).not.toBe(etagOf(group));
    // Asked again: the same.
    expect(etagOf(await harness.app.inject({ url: PROD }))).toBe(etagOf(group));
  });

  it('a commit that changes no decision keeps the id; one that changes a decision changes it', async () => {
    const harness = await start(WORLD);
    const before = await harness.app.inject({ url: PROD });
    // Elsewhere in the repo: a lock in dev, a new lock next to prod-de's existing one (still ENV_IS_LOCKED),
    // another lock on docs in prod-ca (still APP_IS_LOCKED).
    harness.fixture.commit({
      'environments/dev/locks/elsewhere/message': 'not in prod',
      'environments/prod-de/locks/second/message': 'a second freeze',
      'environments/prod-ca/applications/docs/locks/another/message': 'still locked',
    });
    const unrelated = await harness.app.inject({ url: PROD });
    expect(etagOf(unrelated)).toBe(etagOf(before));
    // The answer shows the new locks: the id is of decisions, not of the body.
    expect(unrelated.json().envsPrognoses['prod-de'].envLocks.second).toBeDefined();

    harness.fixture.commit({ 'environments/prod-ca/applications/checkout/locks/stop/message': 'stop' });
    const locked = await harness.app.inject({ url: PROD });
    expect(etagOf(locked)).not.toBe(etagOf(before));
    expect(locked.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout.skipCause).toBe(
      'APP_IS_LOCKED',
    );
  });

  it('a new version to deploy, or another manifest for the same version, changes the id', async () => {
    const harness = await start(WORLD);
    const staging = '/api/environments/staging/releasetrain/prognosis';
    const first = idOf(await harness.app.inject({ url: staging }));
    // Release 3 of billing, deployed in dev: staging would take 3 instead of 2.
    harness.fixture.commit({
      'applications/billing/releases/3/environments/staging/manifests.yaml': manifestContent(
        'billing',
        3,
        'staging',
      ),
      'environments/dev/applications/billing/version': {
        symlink: '../../../../applications/billing/releases/3',
      },
    });
    const second = idOf(await harness.app.inject({ url: staging }));
    expect(second).not.toBe(first);
    // The same version, rewritten with other content (by hand): the train would write another manifest.
    harness.fixture.commit({
      'applications/billing/releases/3/environments/staging/manifests.yaml': 'rewritten by hand\n',
    });
    expect(idOf(await harness.app.inject({ url: staging }))).not.toBe(second);
  });

  it('If-None-Match with the current id answers 304 without a body; another id, 200', async () => {
    const harness = await start(WORLD);
    const first = await harness.app.inject({ url: PROD });
    for (const ifNoneMatch of [
      etagOf(first),
      `W/${etagOf(first)}`,
      `"${'0'.repeat(64)}", ${etagOf(first)}`,
      '*',
    ]) {
      const again = await harness.app.inject({ url: PROD, headers: { 'if-none-match': ifNoneMatch } });
      expect(again.statusCode, ifNoneMatch).toBe(304);
      expect(again.body).toBe('');
      expect(etagOf(again)).toBe(etagOf(first));
    }
    for (const ifNoneMatch of [`"${'0'.repeat(64)}"`, 'not an entity tag']) {
      const other = await harness.app.inject({ url: PROD, headers: { 'if-none-match': ifNoneMatch } });
      expect(other.statusCode).toBe(200);
      expect(other.json()).toEqual({ envsPrognoses: PROD_PROGNOSIS });
    }
    harness.fixture.commit({ 'environments/prod-ca/locks/now/message': 'locked' });
    const changed = await harness.app.inject({ url: PROD, headers: { 'if-none-match': etagOf(first) } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().envsPrognoses['prod-ca'].skipCause).toBe('ENV_IS_LOCKED');
    expect(etagOf(changed)).not.toBe(etagOf(first));
  });
});

describe('plan ids of trains', () => {
  it('the train answer names the plan it applied in planId and ETag', async () => {
    const harness = await start(WORLD);
    const prognosis = await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    const train = await harness.app.inject({ method: 'PUT', url: '/api/environments/prod-ca/releasetrain' });
    expect(train.statusCode).toBe(200);
    expect(train.json().planId).toBe(idOf(prognosis));
    expect(etagOf(train)).toBe(etagOf(prognosis));
    // A train that deploys nothing names its plan too.
    const nothing = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/releasetrain',
    });
    expect(nothing.json()).toMatchObject({ commitId: null, planId: expect.stringMatching(PLAN_ID) });
  });

  it('If-Match with the current id commits exactly that plan', async () => {
    const harness = await start(WORLD);
    const prognosis = await harness.app.inject({ url: PROD });
    const before = harness.fixture.tip();
    const train = await harness.app.inject({
      method: 'PUT',
      url: PROD_TRAIN,
      headers: { 'if-match': etagOf(prognosis) },
    });
    expect(train.statusCode).toBe(200);
    expect(train.json()).toMatchObject({ commitId: harness.fixture.tip(), planId: idOf(prognosis) });
    expect(train.json().envsPrognoses).toEqual(prognosis.json().envsPrognoses);
    expect(harness.fixture.git(['rev-parse', 'main^']).trim()).toBe(before);
    expect(harness.fixture.show('environments/prod-ca/applications/checkout/version')).toContain(
      '/releases/2',
    );
  });

  it('answers prognoses, trains and 412s that their schemas parse unchanged (they are written without a zod pass)', async () => {
    const harness = await start(WORLD);
    const unchanged = (schema: { parse: (value: unknown) => unknown }, body: unknown) =>
      expect(schema.parse(body)).toEqual(body);
    const approved = await harness.app.inject({ url: PROD });
    unchanged(PrognosisResponseSchema, approved.json());
    const withDiffs = await harness.app.inject({ url: `${PROD}?diff=true` });
    expect(JSON.stringify(withDiffs.json())).toContain('manifestDiff');
    unchanged(PrognosisResponseSchema, withDiffs.json());
    const invalid = await harness.app.inject({ url: `${PROD}?team=${'x'.repeat(300)}` });
    expect(invalid.statusCode).toBe(400);
    unchanged(ErrorResponseSchema, invalid.json());

    harness.fixture.commit({ 'environments/prod-ca/applications/checkout/locks/late/message': 'hold on' });
    const refused = await harness.app.inject({
      method: 'PUT',
      url: PROD_TRAIN,
      headers: { 'if-match': etagOf(approved) },
    });
    expect(refused.statusCode).toBe(412);
    unchanged(PlanChangedResponseSchema, refused.json());
    const train = await harness.app.inject({ method: 'PUT', url: PROD_TRAIN });
    expect(train.statusCode).toBe(200);
    unchanged(TrainResponseSchema, train.json());
  });

  it('If-Match with a plan that changed: 412 PLAN_CHANGED with the current plan and its id, nothing written', async () => {
    const harness = await start(WORLD);
    const approved = await harness.app.inject({ url: PROD });
    harness.fixture.commit({ 'environments/prod-ca/applications/checkout/locks/late/message': 'hold on' });
    const before = harness.fixture.tip();
    const current = await harness.app.inject({ url: PROD });

    const train = await harness.app.inject({
      method: 'PUT',
      url: PROD_TRAIN,
      headers: { 'if-match': etagOf(approved) },
    });
    expect(train.statusCode).toBe(412);
    const body = train.json();
    expect(body).toMatchObject({
      statusCode: 412,
      error: 'Precondition Failed',
      code: 'PLAN_CHANGED',
      currentPlanId: idOf(current),
      envsPrognoses: current.json().envsPrognoses,
    });
    expect(body.message).toContain(idOf(approved));
    expect(body.message).toContain(idOf(current));
    expect(body.envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout.skipCause).toBe('APP_IS_LOCKED');
    expect(harness.fixture.tip()).toBe(before);

    // The current id, in a list with the old one: the train runs (and deploys nothing new in prod-ca).
    const retried = await harness.app.inject({
      method: 'PUT',
      url: PROD_TRAIN,
      headers: { 'if-match': `${etagOf(approved)}, ${etagOf(current)}` },
    });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ commitId: null, planId: idOf(current) });
  });

  it('If-Match: * and no If-Match run the train as it is; a malformed If-Match is a 400 and writes nothing', async () => {
    const harness = await start(WORLD);
    const before = harness.fixture.tip();
    for (const ifMatch of [
      'abc',
      `"${'A'.repeat(64)}"`,
      `W/"${'a'.repeat(64)}"`,
      `"${'a'.repeat(63)}"`,
      `${'a'.repeat(64)}`,
      `"${'a'.repeat(64)}",`,
      '*, *',
    ]) {
      const refused = await harness.app.inject({
        method: 'PUT',
        url: '/api/environments/prod-ca/releasetrain',
        headers: { 'if-match': ifMatch },
      });
      expect(refused.statusCode, ifMatch).toBe(400);
      expect(refused.json().code).toBe('INVALID_INPUT');
      expect(refused.json().message).toContain('if-match');
    }
    expect(harness.fixture.tip()).toBe(before);

    const star = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: { 'if-match': '*' },
    });
    expect(star.statusCode).toBe(200);
    expect(star.json().commitId).toBe(harness.fixture.tip());
  });

  it('a team train with the id of the team prognosis', async () => {
    const harness = await start(WORLD);
    const prognosis = await harness.app.inject({
      url: '/api/environments/staging/releasetrain/prognosis?team=shop',
    });
    const whole = await harness.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' });
    const wrongTeam = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain',
      headers: { 'if-match': etagOf(whole) },
      query: { team: 'shop' },
    });
    expect(wrongTeam.statusCode).toBe(412);
    const train = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain?team=shop',
      headers: { 'if-match': etagOf(prognosis) },
    });
    expect(train.statusCode).toBe(200);
    expect(train.json()).toMatchObject({ team: 'shop', planId: idOf(prognosis) });
  });

  it('the compare-and-swap retry plans again and checks If-Match again: a lock that came meanwhile is a 412', async () => {
    const harness = await start(WORLD);
    const approved = await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    const original = harness.repo.commitChain.bind(harness.repo);
    let attempts = 0;
    harness.repo.commitChain = async (request: ChainChanges) => {
      attempts++;
      // Someone locks checkout with plain git between the train's plan and its commit.
      if (attempts === 1)
        harness.fixture.commit({ 'environments/prod-ca/applications/checkout/locks/race/message': 'mine' });
      return original(request);
    };
    const outside = () => harness.fixture.tip();
    const train = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: { 'if-match': etagOf(approved) },
    });
    expect(attempts).toBe(1);
    expect(train.statusCode).toBe(412);
    expect(train.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout.skipCause).toBe(
      'APP_IS_LOCKED',
    );
    // The outside commit is the tip; no train commit on it.
    expect(harness.fixture.git(['log', '-1', '--format=%s', 'main']).trim()).toBe('fixture commit');
    expect(outside()).toBe(harness.fixture.git(['rev-parse', 'main']).trim());
  });

  it('the compare-and-swap retry commits the approved plan on the new tip when the outside commit changes no decision', async () => {
    const harness = await start(WORLD);
    const approved = await harness.app.inject({ url: PROD });
    const original = harness.repo.commitChain.bind(harness.repo);
    let outside: string | undefined;
    harness.repo.commitChain = async (request: ChainChanges) => {
      outside ??= harness.fixture.commit({ 'environments/dev/locks/unrelated/message': 'elsewhere' });
      return original(request);
    };
    const train = await harness.app.inject({
      method: 'PUT',
      url: PROD_TRAIN,
      headers: { 'if-match': etagOf(approved) },
    });
    expect(train.statusCode).toBe(200);
    expect(train.json()).toMatchObject({ planId: idOf(approved), commitId: harness.fixture.tip() });
    expect(harness.fixture.git(['rev-parse', 'main^']).trim()).toBe(outside);
    expect(harness.fixture.show('environments/dev/locks/unrelated/message')).toBe('elsewhere');
  });
});

describe('manifest diffs', () => {
  const DIFF = (environment: string, app: string, lines: string[]) =>
    [
      `--- ${deployedManifest(environment, app)}`,
      `+++ ${deployedManifest(environment, app)}`,
      ...lines,
      '',
    ].join('\n');

  it('?diff=true adds a unified diff to every deployed app, from the deployed manifest to the release one; the id stays', async () => {
    const harness = await start(WORLD);
    const plain = await harness.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' });
    const response = await harness.app.inject({
      url: '/api/environments/staging/releasetrain/prognosis?diff=true',
    });
    expect(response.statusCode).toBe(200);
    expect(etagOf(response)).toBe(etagOf(plain));
    const change = (app: string, from: number, to: number) => ({
      deployedVersion: { version: to },
      manifestDiff: DIFF('staging', app, [
        '@@ -1,3 +1,3 @@',
        ` app: ${app}`,
        `-version: ${from}`,
        `+version: ${to}`,
        ' environment: staging',
      ]),
    });
    expect(response.json()).toEqual({
      envsPrognoses: {
        staging: {
          appsPrognoses: {
            prognoses: {
              billing: change('billing', 1, 2),
              cart: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
              checkout: change('checkout', 2, 3),
              docs: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
              search: change('search', 3, 4),
            },
          },
        },
      },
    });
    // Without it (or with diff=false): exactly Kuberpult's shape, no new field.
    expect(JSON.stringify(plain.json())).not.toContain('manifestDiff');
    const off = await harness.app.inject({
      url: '/api/environments/staging/releasetrain/prognosis?diff=false',
    });
    expect(off.json()).toEqual(plain.json());
  });

  it('diffs from an empty manifest where none is deployed, and is "" for the same content', async () => {
    const harness = await start(WORLD);
    // Someone copied release 2's manifest into prod-ca by hand: nothing would change in the cluster.
    harness.fixture.commit({
      [deployedManifest('prod-ca', 'checkout')]: manifestContent('checkout', 2, 'prod-ca'),
    });
    const prodCa = await harness.app.inject({
      url: '/api/environments/prod-ca/releasetrain/prognosis?diff=true',
    });
    expect(prodCa.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout).toEqual({
      deployedVersion: { version: 2 },
      manifestDiff: '',
    });
    const dev = await harness.app.inject({ url: '/api/environments/dev/releasetrain/prognosis?diff=true' });
    expect(dev.json().envsPrognoses.dev.appsPrognoses.prognoses.legacy).toEqual({
      deployedVersion: { version: 1 },
      manifestDiff: DIFF('dev', 'legacy', [
        '@@ -0,0 +1,3 @@',
        '+app: legacy',
        '+version: 1',
        '+environment: dev',
      ]),
    });
  });

  it('an empty release manifest is diffed to the single space a deployment writes', async () => {
    const harness = await start(
      layoutFiles({
        apps: { api: { releases: { 1: ['qa'] } } },
        environments: { qa: { config: { upstream: { latest: true } } } },
      }),
    );
    harness.fixture.commit({ 'applications/api/releases/1/environments/qa/manifests.yaml': '' });
    const response = await harness.app.inject({
      url: '/api/environments/qa/releasetrain/prognosis?diff=true',
    });
    expect(response.json().envsPrognoses.qa.appsPrognoses.prognoses.api.manifestDiff).toBe(
      DIFF('qa', 'api', ['@@ -0,0 +1,1 @@', '+ ', '\\ No newline at end of file']),
    );
    await harness.app.inject({ method: 'PUT', url: '/api/environments/qa/releasetrain' });
    expect(harness.fixture.show(deployedManifest('qa', 'api'))).toBe(' ');
  });

  it('cuts a diff over 64 KiB at a line end and marks it; the diff of a manifest over 1 MiB is empty and marked', async () => {
    const big = (label: string, lines: number) =>
      Array.from({ length: lines }, (_, index) => `  key-${index}: ${label}-${'x'.repeat(40)}\n`).join('');
    const harness = await start(
      layoutFiles({
        apps: { api: { releases: { 1: ['qa'], 2: ['qa'] } }, web: { releases: { 1: ['qa'], 2: ['qa'] } } },
        environments: { qa: { config: { upstream: { latest: true } }, deployed: { api: 1, web: 1 } } },
      }),
    );
    harness.fixture.commit({
      [deployedManifest('qa', 'api')]: big('old', 2000),
      'applications/api/releases/2/environments/qa/manifests.yaml': big('new', 2000),
      // Over 1 MiB: not diffed.
      'applications/web/releases/2/environments/qa/manifests.yaml': big('huge', 20_000),
    });
    const response = await harness.app.inject({
      url: '/api/environments/qa/releasetrain/prognosis?diff=true',
    });
    expect(response.statusCode).toBe(200);
    const { api, web } = response.json().envsPrognoses.qa.appsPrognoses.prognoses;
    expect(api.manifestDiffTruncated).toBe(true);
    expect(Buffer.byteLength(api.manifestDiff)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(api.manifestDiff)).toBeGreaterThan(60 * 1024);
    expect(api.manifestDiff.endsWith('\n')).toBe(true);
    expect(api.manifestDiff.startsWith(`--- ${deployedManifest('qa', 'api')}\n+++ `)).toBe(true);
    expect(web).toEqual({ deployedVersion: { version: 2 }, manifestDiff: '', manifestDiffTruncated: true });
  });

  it('keeps the diffs of one answer within 4 MiB: past that, diffs are empty and marked', async () => {
    const apps: Record<string, { releases: Record<number, string[]> }> = {};
    const files: Record<string, string> = {};
    for (let index = 0; index < 70; index++) {
      const app = `app-${String(index).padStart(2, '0')}`;
      apps[app] = { releases: { 1: ['qa'] } };
      // 70 KiB each, none deployed: each diff is cut at 64 KiB.
      files[`applications/${app}/releases/1/environments/qa/manifests.yaml`] = Array.from(
        { length: 1000 },
        (_, line) => `${app}-${line}: ${'y'.repeat(60)}\n`,
      ).join('');
    }
    const harness = await start({
      ...layoutFiles({ apps, environments: { qa: { config: { upstream: { latest: true } } } } }),
      ...files,
    });
    const response = await harness.app.inject({
      url: '/api/environments/qa/releasetrain/prognosis?diff=true',
    });
    expect(response.statusCode).toBe(200);
    const prognoses = response.json().envsPrognoses.qa.appsPrognoses.prognoses;
    const diffs = Object.keys(prognoses)
      .sort()
      .map((app) => prognoses[app]);
    const total = diffs.reduce((sum, app) => sum + Buffer.byteLength(app.manifestDiff), 0);
    expect(total).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(total).toBeGreaterThan(4 * 1024 * 1024 - 64 * 1024);
    expect(diffs.every((app) => app.manifestDiffTruncated === true)).toBe(true);
    // In plan order: the first ones whole up to the cut, the last ones empty.
    expect(Buffer.byteLength(diffs[0].manifestDiff)).toBeGreaterThan(60 * 1024);
    expect(diffs.at(-1).manifestDiff).toBe('');
    expect(response.body.length).toBeLessThan(5 * 1024 * 1024);
  });

  it('is a valid patch: applied to the deployed manifest it gives the release manifest', async () => {
    const before = Array.from({ length: 60 }, (_, index) => `line ${index}\n`).join('');
    const after = before.replace('line 3\n', 'line three\n').replace('line 40\n', '').concat('last line');
    const harness = await start(
      layoutFiles({
        apps: { api: { releases: { 1: ['qa'], 2: ['qa'] } } },
        environments: { qa: { config: { upstream: { latest: true } }, deployed: { api: 1 } } },
      }),
    );
    harness.fixture.commit({
      [deployedManifest('qa', 'api')]: before,
      'applications/api/releases/2/environments/qa/manifests.yaml': after,
    });
    const response = await harness.app.inject({
      url: '/api/environments/qa/releasetrain/prognosis?diff=true',
    });
    const { manifestDiff } = response.json().envsPrognoses.qa.appsPrognoses.prognoses.api;
    expect(parsePatch(manifestDiff)[0]?.hunks).toHaveLength(3);
    expect(applyPatch(before, manifestDiff)).toBe(after);
  });

  it('a deployed manifest where a file does not belong is a 500 naming it', async () => {
    const harness = await start(WORLD);
    const directory = 'environments/staging/applications/billing';
    harness.fixture.commit({}, { delete: [`${directory}/manifests/manifests.yaml`] });
    harness.fixture.commit({ [`${directory}/manifests/manifests.yaml/inside`]: 'a directory' });
    const nested = await harness.app.inject({
      url: '/api/environments/staging/releasetrain/prognosis?diff=true',
    });
    expect(nested.statusCode).toBe(500);
    expect(nested.json().code).toBe('MANIFEST_REPO_CORRUPT');
    expect(nested.json().message).toContain(`${directory}/manifests/manifests.yaml`);
    // Without diffs the prognosis does not read it.
    expect(
      (await harness.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' })).statusCode,
    ).toBe(200);

    // The directory replaced by a file of that name.
    harness.fixture.commit({ [`${directory}/manifests`]: 'a file' });
    const file = await harness.app.inject({
      url: '/api/environments/staging/releasetrain/prognosis?diff=true',
    });
    expect(file.statusCode).toBe(500);
    expect(file.json().message).toContain(`${directory}/manifests:`);
  });

  it('?diff takes true or false only', async () => {
    const harness = await start(WORLD);
    const response = await harness.app.inject({ url: `${PROD}?diff=yes` });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain('diff');
  });
});
