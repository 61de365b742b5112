// Creating and replacing environments (http-api.md "Environments", manifest-repo.md "config.json").
import { describe, expect, it } from 'vitest';
import { harnessPerWorld } from '../support/appHarness.js';
import { AUTHOR_HEADERS, expectError, expectOneCommit } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { fieldsBody } from '../support/multipart.js';

const start = harnessPerWorld();

const BOUNDARY = '----TrainyardFormBoundary4f2a';

type Part = string | { filename: string; content: string };

/** A multipart/form-data body as curl -F sends it. */
function form(fields: Record<string, Part>): { payload: string; headers: Record<string, string> } {
  const parts = Object.entries(fields).map(([name, part]) =>
    typeof part === 'string'
      ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${part}\r\n`
      : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${part.filename}"\r\n` +
        `Content-Type: application/json\r\n\r\n${part.content}\r\n`,
  );
  return {
    payload: `${parts.join('')}--${BOUNDARY}--\r\n`,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  };
}

const stored = (config: unknown) => `${JSON.stringify(config, null, 2)}\n`;

const ENV_WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ['dev', 'staging', 'qa'], 2: ['dev', 'staging', 'qa'] } },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2 } },
    staging: {
      config: {
        upstream: { environment: 'dev' },
        argocd: { destination: { server: 'https://kubernetes.default.svc' }, accessList: [] },
      },
      deployed: { checkout: 1 },
    },
  },
});

// Known fields in the order the schema lists them, unknown fields after: stored byte for byte.
const QA_CONFIG = {
  upstream: { environment: 'staging' },
  environmentGroup: 'test',
  argocd: { destination: { namespace: 'qa', server: 'https://kubernetes.default.svc' }, syncWindows: [] },
  futureField: { nested: [1, 'two', null, true] },
};

const NEWER_CONFIG = {
  upstream: { latest: true },
  argoConfigs: {
    commonEnvPrefix: 'aa',
    configs: [{ destination: { name: 'cluster-a', server: 'https://a.example.com' }, concreteEnvName: 'a' }],
  },
  isActiveActive: true,
  notes: 'kept as given',
};

type Encoding = 'json' | 'multipart field' | 'multipart file';

function configRequest(encoding: Encoding, config: unknown, headers: Record<string, string> = {}) {
  if (encoding === 'json') return { headers, payload: config as object };
  const text = typeof config === 'string' ? config : JSON.stringify(config);
  const body = form({
    config: encoding === 'multipart field' ? text : { filename: 'config.json', content: text },
  });
  return { headers: { ...headers, ...body.headers }, payload: body.payload };
}

const ENCODINGS: readonly Encoding[] = ['json', 'multipart field', 'multipart file'];
const PATHS = ['/api/environments', '/environments'] as const;

for (const path of PATHS) {
  for (const encoding of ENCODINGS) {
    describe(`POST ${path}/{env} with a ${encoding} body`, () => {
      it('creates the environment: 201, config.json as 2-space JSON with a newline, one commit', async () => {
        const h = await start(ENV_WORLD);
        const before = h.fixture.tip();
        const response = await h.app.inject({
          method: 'POST',
          url: `${path}/qa`,
          ...configRequest(encoding, QA_CONFIG, { ...AUTHOR_HEADERS, 'x-request-id': 'req-env-1' }),
        });
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json()).toEqual({ environment: 'qa', created: true, config: QA_CONFIG });

        expectOneCommit(h, before, 'req-env-1');
        expect(h.fixture.git(['diff', '--name-only', before, 'main']).trim()).toBe(
          'environments/qa/config.json',
        );
        expect(h.fixture.modeOf('environments/qa/config.json')).toBe('100644 blob');
        expect(h.fixture.show('environments/qa/config.json')).toBe(stored(QA_CONFIG));

        // The new environment is a train target at once.
        const prognosis = await h.app.inject({ url: '/api/environments/qa/releasetrain/prognosis' });
        expect(prognosis.json()).toEqual({
          envsPrognoses: {
            qa: { appsPrognoses: { prognoses: { checkout: { deployedVersion: { version: 1 } } } } },
          },
        });
        const group = await h.app.inject({ url: '/api/environment-groups/test/releasetrain/prognosis' });
        expect(Object.keys(group.json().envsPrognoses)).toEqual(['qa']);
      });

      it('replaces the config of an existing environment: 200, unknown fields of the newer Argo CD form kept', async () => {
        const h = await start(ENV_WORLD);
        const before = h.fixture.tip();
        const response = await h.app.inject({
          method: 'POST',
          url: `${path}/staging`,
          ...configRequest(encoding, NEWER_CONFIG, { ...AUTHOR_HEADERS, 'x-request-id': 'req-env-2' }),
        });
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json()).toEqual({ environment: 'staging', created: false, config: NEWER_CONFIG });
        expectOneCommit(h, before, 'req-env-2');
        expect(h.fixture.git(['diff', '--name-only', before, 'main']).trim()).toBe(
          'environments/staging/config.json',
        );
        expect(h.fixture.show('environments/staging/config.json')).toBe(stored(NEWER_CONFIG));
        // The deployments of the environment are untouched.
        expect(h.fixture.show('environments/staging/applications/checkout/version')).toBe(
          '../../../../applications/checkout/releases/1',
        );
      });

      it('makes no commit for the same config again (200)', async () => {
        const h = await start(ENV_WORLD);
        const first = await h.app.inject({
          method: 'POST',
          url: `${path}/qa`,
          ...configRequest(encoding, QA_CONFIG),
        });
        expect(first.statusCode).toBe(201);
        const before = h.fixture.tip();
        const again = await h.app.inject({
          method: 'POST',
          url: `${path}/qa`,
          ...configRequest(encoding, QA_CONFIG),
        });
        expect(again.statusCode).toBe(200);
        expect(again.json()).toEqual({ environment: 'qa', created: false, config: QA_CONFIG });
        expect(h.fixture.tip()).toBe(before);

        // The same for a config.json written by hand in the same form.
        const staging = {
          upstream: { environment: 'dev' },
          argocd: { destination: { server: 'https://kubernetes.default.svc' }, accessList: [] },
        };
        const same = await h.app.inject({
          method: 'POST',
          url: `${path}/staging`,
          ...configRequest(encoding, staging),
        });
        expect(same.statusCode).toBe(200);
        expect(h.fixture.tip()).toBe(before);
      });

      it('refuses invalid configs with 400 and writes nothing', async () => {
        const h = await start(ENV_WORLD);
        const before = h.fixture.tip();
        const invalid: unknown[] = [
          [],
          'dev',
          42,
          null,
          { upstream: 'dev' },
          { upstream: { latest: 'yes' } },
          { upstream: { latest: 1 } },
          { upstream: { environment: 'Prod' } },
          { upstream: { environment: '../dev' } },
          { upstream: { environment: 'a'.repeat(64) } },
          { upstream: { environment: 7 } },
          { environmentGroup: 'Prod_EU' },
          { environmentGroup: 'prod/../x' },
          { environmentGroup: 5 },
        ];
        for (const config of invalid) {
          const request =
            encoding === 'json'
              ? {
                  headers: { 'content-type': 'application/json' },
                  payload: JSON.stringify(config),
                }
              : configRequest(encoding, JSON.stringify(config));
          for (const env of ['qa', 'staging']) {
            const response = await h.app.inject({ method: 'POST', url: `${path}/${env}`, ...request });
            expectError(response, 400, 'INVALID_INPUT');
          }
        }
        expect(h.fixture.tip()).toBe(before);
        expect(h.fixture.modeOf('environments/qa')).toBeUndefined();
      });

      it('refuses a config that is not JSON with 400 INVALID_JSON', async () => {
        const h = await start(ENV_WORLD);
        const before = h.fixture.tip();
        const notJson = '{"upstream": {"latest": true}';
        const request =
          encoding === 'json'
            ? { headers: { 'content-type': 'application/json' }, payload: notJson }
            : configRequest(encoding, notJson);
        const response = await h.app.inject({ method: 'POST', url: `${path}/qa`, ...request });
        expectError(response, 400, 'INVALID_JSON');
        expect(h.fixture.tip()).toBe(before);
      });
    });
  }

  describe(`POST ${path}/{env}: other bodies`, () => {
    it('refuses text/plain and other content types with 415 and writes nothing', async () => {
      const h = await start(ENV_WORLD);
      const before = h.fixture.tip();
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/yaml']) {
        const response = await h.app.inject({
          method: 'POST',
          url: `${path}/qa`,
          headers: { 'content-type': contentType },
          payload: contentType === 'text/plain' ? '{"upstream":{"latest":true}}' : 'config=x',
        });
        expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      expect(h.fixture.tip()).toBe(before);
    });

    it('refuses a form without exactly one field `config` with 400', async () => {
      const h = await start(ENV_WORLD);
      const before = h.fixture.tip();
      for (const fields of [{}, { conf: '{}' }, { config: '{}', other: 'x' }] as Record<string, string>[]) {
        const response = await h.app.inject({ method: 'POST', url: `${path}/qa`, ...form(fields) });
        expectError(response, 400, 'INVALID_INPUT');
      }
      expect(h.fixture.tip()).toBe(before);
    });

    it('refuses an empty JSON body and an invalid environment name with 400', async () => {
      const h = await start(ENV_WORLD);
      const before = h.fixture.tip();
      const empty = await h.app.inject({
        method: 'POST',
        url: `${path}/qa`,
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      expectError(empty, 400, 'INVALID_INPUT');
      for (const env of ['QA', 'qa_1', '-qa', 'a'.repeat(64), '..%2Fqa']) {
        const response = await h.app.inject({ method: 'POST', url: `${path}/${env}`, payload: QA_CONFIG });
        expect(expectError(response, 400, 'INVALID_INPUT').message).toMatch(/name must/);
      }
      expect(h.fixture.tip()).toBe(before);
    });
  });
}

describe('POST /api/environments/{env}: config states', () => {
  it('stores an empty config, and an upstream that is null, {} or has empty fields, as given', async () => {
    const h = await start(ENV_WORLD);
    for (const [env, config, skipCause] of [
      ['empty', {}, 'ENV_HAS_NO_UPSTREAM'],
      ['nulled', { upstream: null }, 'ENV_HAS_NO_UPSTREAM'],
      ['bare', { upstream: {} }, 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV'],
      [
        'blank',
        { upstream: { latest: false, environment: '' } },
        'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV',
      ],
      [
        'both',
        { upstream: { latest: true, environment: 'dev' } },
        'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV',
      ],
    ] as const) {
      const response = await h.app.inject({
        method: 'POST',
        url: `/api/environments/${env}`,
        payload: config,
      });
      expect(response.statusCode, env).toBe(201);
      expect(h.fixture.show(`environments/${env}/config.json`)).toBe(stored(config));
      const prognosis = await h.app.inject({ url: `/api/environments/${env}/releasetrain/prognosis` });
      expect(prognosis.json().envsPrognoses[env], env).toEqual({ skipCause });
    }
  });

  it('keeps unknown fields inside upstream', async () => {
    const h = await start(ENV_WORLD);
    const config = { upstream: { environment: 'dev', proposed: true, extra: { a: 1 } } };
    const response = await h.app.inject({ method: 'POST', url: '/api/environments/qa', payload: config });
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(h.fixture.show('environments/qa/config.json'))).toEqual(config);
  });

  it('writes a config in another key order as 2-space JSON with a trailing newline, every field kept', async () => {
    const h = await start(ENV_WORLD);
    const config = {
      zeta: 1,
      environmentGroup: 'test',
      upstream: { environment: 'dev' },
      argocd: { b: 1, a: 2 },
    };
    const response = await h.app.inject({ method: 'POST', url: '/api/environments/qa', payload: config });
    expect(response.statusCode).toBe(201);
    const content = h.fixture.show('environments/qa/config.json');
    expect(JSON.parse(content)).toEqual(config);
    expect(content).toBe(stored(JSON.parse(content)));
  });

  it('makes no commit for the same config again when its fields are in Kuberpult order', async () => {
    const text = `${JSON.stringify(
      { upstream: { environment: 'dev' }, argocd: { accessList: [] }, environmentGroup: 'prod' },
      null,
      2,
    )}\n`;
    const h = await start({ ...ENV_WORLD, 'environments/prod-de/config.json': text });
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/environments/prod-de',
      headers: { 'content-type': 'application/json' },
      payload: text,
    });
    expect(response.statusCode).toBe(200);
    expect(h.fixture.show('environments/prod-de/config.json')).toBe(text);
    expect(h.fixture.tip()).toBe(before);
  });

  it('gives an environment directory without config.json a config: 200, it already existed', async () => {
    const h = await start({
      ...ENV_WORLD,
      ...layoutFiles({ environments: { qa: { deployed: { checkout: 1 } } } }),
    });
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/environments/qa',
      headers: { 'x-request-id': 'req-qa' },
      payload: QA_CONFIG,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().created).toBe(false);
    expectOneCommit(h, before, 'req-qa', {
      name: 'Trainyard User',
      email: 'trainyard-user@trainyard.invalid',
    });
    expect(h.fixture.show('environments/qa/config.json')).toBe(stored(QA_CONFIG));
    expect(h.fixture.show('environments/qa/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/1',
    );
  });

  it('repairs a corrupt config.json by replacing it', async () => {
    const h = await start({ ...ENV_WORLD, 'environments/staging/config.json': '{"upstream": ' });
    const broken = await h.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' });
    expect(broken.statusCode).toBe(500);
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'POST',
      url: '/environments/staging',
      payload: { upstream: { environment: 'dev' } },
    });
    expect(response.statusCode).toBe(200);
    expect(h.fixture.git(['rev-list', '--count', `${before}..main`]).trim()).toBe('1');
    expect(h.fixture.show('environments/staging/config.json')).toBe(
      stored({ upstream: { environment: 'dev' } }),
    );
    const fixed = await h.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' });
    expect(fixed.statusCode).toBe(200);
  });

  it('answers 405 for GET on an environment path', async () => {
    const h = await start(ENV_WORLD);
    const response = await h.app.inject({ method: 'GET', url: '/api/environments/staging' });
    expectError(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe('POST, DELETE');
  });
});

describe('POST /api/environments/{env}: a config nested too deep', () => {
  // Stored, compared and served as JSON: nested thousands deep, that overflowed the stack (a 500).
  const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  it('in a POST /api/environments body is a 400 INVALID_INPUT that writes nothing', async () => {
    const h = await start(ENV_WORLD);
    const before = h.fixture.tip();
    const json = await h.app.inject({
      method: 'POST',
      url: '/api/environments/qa',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: deep(10_000),
    });
    expect(expectError(json, 400, 'INVALID_INPUT').message).toMatch(/32 levels/);
    const form = fieldsBody({ config: deep(10_000) });
    const multipart = await h.app.inject({
      method: 'POST',
      url: '/api/environments/qa',
      headers: { ...AUTHOR_HEADERS, 'content-type': form.contentType },
      payload: form.payload,
    });
    expect(expectError(multipart, 400, 'INVALID_INPUT').message).toMatch(/config: .*32 levels/);
    expect(h.fixture.tip()).toBe(before);
  });

  it('up to 32 levels is a config like any other', async () => {
    const h = await start(ENV_WORLD);
    const accepted = await h.app.inject({
      method: 'POST',
      url: '/api/environments/qa',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: deep(32),
    });
    expect(accepted.statusCode, accepted.body).toBe(201);
    const refused = await h.app.inject({
      method: 'POST',
      url: '/api/environments/qa',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: deep(33),
    });
    expectError(refused, 400, 'INVALID_INPUT');
  });
});
