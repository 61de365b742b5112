// The OpenAPI document, generated from the routes' zod schemas and served at /openapi.json, with
// finishing touches: bodies marked optional, unused schemas pruned.
import fastifySwagger, { type SwaggerTransformObject } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { OPTIONAL_BODY } from '../schemas/optionalBody.js';

type JsonObject = Record<string, unknown>;

/** Collects the routes registered after it; the document is built when /openapi.json is asked. */
export async function serveOpenApiDocument(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Trainyard',
        description: 'Release trains over a git manifest repo, compatible with Kuberpult.',
        version: '0.1.0',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: transformOpenApiObject,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

const transformOpenApiObject: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as JsonObject;
  markOptionalBodies(document);
  pruneUnusedSchemas(document);
  return document as ReturnType<SwaggerTransformObject>;
};

function markOptionalBodies(document: JsonObject): void {
  for (const path of Object.values((document.paths ?? {}) as Record<string, JsonObject>)) {
    for (const operation of Object.values(path) as JsonObject[]) {
      const body = operation.requestBody as {
        required?: boolean;
        content?: Record<string, { schema?: JsonObject }>;
      };
      for (const media of Object.values(body?.content ?? {})) {
        if (media.schema?.[OPTIONAL_BODY]) {
          body.required = false;
          delete media.schema[OPTIONAL_BODY];
        }
      }
    }
  }
}

/** zod emits an input and an output variant of every named schema; keep the ones referenced. */
function pruneUnusedSchemas(document: JsonObject): void {
  const components = document.components as { schemas?: Record<string, unknown> } | undefined;
  const schemas = components?.schemas;
  if (!components || !schemas) return;
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
          const name = child.slice('#/components/schemas/'.length);
          if (!used.has(name)) {
            used.add(name);
            visit(schemas[name]);
          }
        } else visit(child);
      }
    }
  };
  visit(document.paths);
  components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
}
