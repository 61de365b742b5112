// npm run openapi: rewrites openapi/openapi.yaml and its readable form docs/http-api.md from the
// routes' schemas.
import { mkdir, writeFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { renderOpenApiYaml } from '../src/openapi.js';
import { type OpenApiDocument, renderApiReference } from './apiReference.js';

const yamlFile = new URL('../openapi/openapi.yaml', import.meta.url);
const markdownFile = new URL('../docs/http-api.md', import.meta.url);
const yaml = await renderOpenApiYaml();
await writeFile(yamlFile, yaml);
await mkdir(new URL('.', markdownFile), { recursive: true });
await writeFile(markdownFile, renderApiReference(load(yaml) as OpenApiDocument));
process.stdout.write(`wrote ${yamlFile.pathname} and ${markdownFile.pathname}\n`);
