// gitTag and sourceGitTag on release trains (http-api.md "Release trains", release-train.md
// "Source commit").
import { describe, expect, it } from 'vitest';
import { type Harness, harnessPerWorld } from '../support/appHarness.js';
import { expectError } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { WORLD } from './world.js';

let harness: Harness;
// One harness per world for the file, its refs put back before each test that starts it.
const start = harnessPerWorld();

describe('gitTag', () => {
  it("tags the train's commit and answers the tag", async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain?gitTag=train-2026-11-26',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ target: 'prod', gitTag: 'train-2026-11-26' });
    expect(harness.fixture.git(['rev-parse', 'refs/tags/train-2026-11-26']).trim()).toBe(
      response.json().commitId,
    );
  });

  it('makes no tag when the train deploys nothing', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/releasetrain?gitTag=nothing',
    });
    expect(response.json().commitId).toBeNull();
    expect(response.json().gitTag).toBeUndefined();
    expect(harness.fixture.git(['tag', '--list']).trim()).toBe('');
  });

  it('refuses an existing tag with 409 before writing anything', async () => {
    harness = await start(WORLD);
    harness.fixture.git(['tag', 'taken']);
    const before = harness.fixture.tip();
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain?gitTag=taken',
    });
    expectError(response, 409, 'TAG_EXISTS');
    expect(harness.fixture.tip()).toBe(before);
  });

  it('refuses a tag name git would not take with 400', async () => {
    harness = await start(WORLD);
    for (const tag of ['a..b', 'x.lock', '-x', 'a b', 'a%0Ab', '.hidden', 'a/.b']) {
      const response = await harness.app.inject({
        method: 'PUT',
        url: `/api/environments/prod-ca/releasetrain?gitTag=${tag}`,
      });
      expectError(response, 400, 'INVALID_INPUT');
    }
  });
});

describe('sourceGitTag', () => {
  it('takes the upstream versions as of the tag, locks and manifests from the tip', async () => {
    harness = await start(WORLD);
    // staging runs checkout 2 at the tag; afterwards it moves to 3.
    harness.fixture.git(['tag', 'tested']);
    harness.fixture.commit(layoutFiles({ environments: { staging: { deployed: { checkout: 3 } } } }));
    const prognosis = await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    expect(prognosis.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout).toEqual({
      deployedVersion: { version: 3 },
    });
    const train = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain?sourceGitTag=refs/tags/tested',
    });
    expect(train.statusCode).toBe(200);
    expect(train.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout).toEqual({
      deployedVersion: { version: 2 },
    });
    expect(harness.fixture.show('environments/prod-ca/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/2',
    );
  });

  it('answers 404 naming an unknown tag, and writes nothing', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain?sourceGitTag=nope',
    });
    expect(expectError(response, 404, 'TAG_NOT_FOUND').message).toContain("'nope'");
    expect(harness.fixture.tip()).toBe(before);
  });
});

describe('sourceGitTag on the prognosis', () => {
  it('previews exactly the train with the same tag, which then commits that', async () => {
    harness = await start(WORLD);
    harness.fixture.git(['tag', 'tested']);
    harness.fixture.commit(
      layoutFiles({ environments: { staging: { deployed: { checkout: 3, search: 4 } } } }),
    );
    const prognosis = await harness.app.inject({
      url: '/api/environment-groups/prod/releasetrain/prognosis?sourceGitTag=tested',
    });
    expect(prognosis.statusCode).toBe(200);
    const train = await harness.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain?sourceGitTag=tested',
    });
    expect(train.statusCode).toBe(200);
    expect(train.json().envsPrognoses).toEqual(prognosis.json().envsPrognoses);
    // As of the tag staging ran checkout 2 and search 3: that is what prod-ca got.
    expect(prognosis.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses).toMatchObject({
      checkout: { deployedVersion: { version: 2 } },
      search: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
    });
    expect(harness.fixture.show('environments/prod-ca/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/2',
    );
  });

  it('shows the rollback a train from an old tag would make', async () => {
    harness = await start(WORLD);
    harness.fixture.git(['tag', 'old']);
    // Later staging and then prod-ca move on to checkout 3.
    harness.fixture.commit(
      layoutFiles({
        environments: { staging: { deployed: { checkout: 3 } }, 'prod-ca': { deployed: { checkout: 3 } } },
      }),
    );
    const url = '/api/environments/prod-ca/releasetrain/prognosis';
    const current = await harness.app.inject({ url });
    expect(current.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout).toEqual({
      skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION',
    });
    const fromOld = await harness.app.inject({ url: `${url}?sourceGitTag=old` });
    expect(fromOld.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout).toEqual({
      deployedVersion: { version: 2 },
    });
  });

  it('answers 404 naming an unknown tag', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      url: '/api/environments/prod-ca/releasetrain/prognosis?sourceGitTag=nope',
    });
    expect(expectError(response, 404, 'TAG_NOT_FOUND').message).toContain("'nope'");
  });

  it('refuses a tag name git would not take with 400', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      url: '/api/environments/prod-ca/releasetrain/prognosis?sourceGitTag=a..b',
    });
    expectError(response, 400, 'INVALID_INPUT');
  });
});
