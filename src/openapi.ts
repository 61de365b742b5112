// The OpenAPI document as committed in openapi/openapi.yaml: generated from the routes' zod
// schemas, so the committed file and the served /openapi.json cannot drift apart unnoticed.
import { dump } from 'js-yaml';
import { buildApp } from './app.js';
import { createManifestRepository } from './manifest/repository.js';

export async function renderOpenApiYaml(): Promise<string> {
  // The document depends only on the routes; the repository is never opened.
  const repo = createManifestRepository({ path: '/nonexistent/trainyard-openapi', branch: 'main' });
  const app = await buildApp({ repo });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return dump(document, { noRefs: true, lineWidth: 120, sortKeys: false });
}
