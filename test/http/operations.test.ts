import { readFile } from 'node:fs/promises';
import { dump, load } from 'js-yaml';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenApiDocument, renderApiReference } from '../../scripts/apiReference.js';
import { buildApp } from '../../src/app.js';
import { createManifestRepository } from '../../src/manifest/repository.js';
import { renderOpenApiYaml } from '../../src/openapi.js';
import { base64, type Harness, startHarness } from '../support/appHarness.js';
import { PROD_PROGNOSIS, WORLD } from './world.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('health', () => {
  it('answers /healthz and /readyz when the repo can be read', async () => {
    harness = await startHarness(WORLD);
    expect((await harness.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await harness.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ok' });
  });

  it('is not ready when the repo is missing, but alive', async () => {
    const repo = createManifestRepository({ path: '/nonexistent/trainyard-readyz', branch: 'main' });
    const app = await buildApp({ repo });
    try {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().code).toBe('REPO_BUSY');
    } finally {
      await app.close();
      repo.close();
    }
  });
});

describe('OpenAPI', () => {
  it('serves the document that openapi/openapi.yaml commits (run `npm run openapi` after changing a route)', async () => {
    harness = await startHarness({});
    const served = (await harness.app.inject({ url: '/openapi.json' })).json();
    const committed = await readFile(new URL('../../openapi/openapi.yaml', import.meta.url), 'utf8');
    expect(await renderOpenApiYaml()).toBe(committed);
    expect(dump(served, { noRefs: true, lineWidth: 120, sortKeys: false })).toBe(committed);
  });

  it('commits its readable form as docs/http-api.md, with every route and shape', async () => {
    const committed = await readFile(new URL('../../docs/http-api.md', import.meta.url), 'utf8');
    const document = load(await renderOpenApiYaml()) as OpenApiDocument;
    expect(renderApiReference(document)).toBe(committed);
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        expect(committed).toContain(`### ${method.toUpperCase()} \`${path}\``);
      }
    }
    for (const shape of Object.keys(document.components?.schemas ?? {}))
      expect(committed).toContain(`### ${shape}\n`);
  });

  it('documents every train and prognosis route', async () => {
    harness = await startHarness({});
    const { paths } = (await harness.app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/environments/{env}/releasetrain',
        '/api/environment-groups/{group}/releasetrain',
        '/environments/{target}/releasetrain',
        '/api/environments/{target}/releasetrain/prognosis',
        '/api/environment-groups/{group}/releasetrain/prognosis',
      ]),
    );
  });
});

describe('over a real socket', () => {
  it('serves a prognosis and a train with supertest', async () => {
    harness = await startHarness(WORLD);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    const server = harness.app.server;
    const prognosis = await request(server)
      .get('/api/environment-groups/prod/releasetrain/prognosis')
      .expect(200);
    expect(prognosis.body).toEqual({ envsPrognoses: PROD_PROGNOSIS });
    expect(prognosis.headers['content-type']).toMatch(/^application\/json/);
    const train = await request(server)
      .put('/api/environment-groups/prod/releasetrain')
      .set('author-name', base64('Ana'))
      .set('author-email', base64('ana@example.com'))
      .send({ ciLink: 'https://ci.example.com/1' })
      .expect(200);
    expect(train.body.commitId).toBe(harness.fixture.tip());
  });
});
