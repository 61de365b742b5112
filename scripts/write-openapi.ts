// npm run openapi: rewrites openapi/openapi.yaml from the routes' schemas.
import { writeFile } from 'node:fs/promises';
import { renderOpenApiYaml } from '../src/openapi.js';

const target = new URL('../openapi/openapi.yaml', import.meta.url);
await writeFile(target, await renderOpenApiYaml());
process.stdout.write(`wrote ${target.pathname}\n`);
