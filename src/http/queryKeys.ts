// The query holds only the keys of the route's schema, each at most once: `?tem=shop` (a typo of
// team) and `?team=a&team=b` are 400s naming the key, on every route. The hidden routes (405
// answers, /metrics, /openapi.json) take any query.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { unknownNames } from '../schemas/strict.js';

export async function checkQueryKeys(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema;
  const query = request.query as Record<string, unknown> | undefined;
  if (!schema || schema.hide || !query) return;
  const known = (schema.querystring as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  const unknown = Object.keys(query).filter((key) => !Object.hasOwn(known, key));
  if (unknown.length > 0) {
    const takes = Object.keys(known);
    throw new AppError(
      'INVALID_INPUT',
      `Invalid input: querystring: ${unknownNames('query parameter', unknown)}; ` +
        (takes.length > 0 ? `this route takes ${takes.join(', ')}.` : 'this route takes none.'),
    );
  }
  for (const key of Object.keys(known)) {
    if (Array.isArray(query[key])) {
      throw new AppError('INVALID_INPUT', `The query parameter '${key}' must be given at most once.`);
    }
  }
}
