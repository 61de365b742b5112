// A known path asked with another method is a 405 naming the allowed ones, not a 404.
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'] as const;

/**
 * Records the methods of every route added from now on; the function it returns adds, for each
 * path, a route that answers 405 to the other methods (call it once every route is there).
 */
export function answerOtherMethodsWith405(app: FastifyInstance): () => void {
  const methodsByUrl = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of methods) known.add(method);
    methodsByUrl.set(route.url, known);
  });
  return () => {
    for (const [url, known] of [...methodsByUrl]) {
      const missing = METHODS.filter((method) => !known.has(method));
      if (missing.length === 0) continue;
      const allowed = METHODS.filter((method) => known.has(method)).join(', ');
      app.route({
        method: missing,
        url,
        schema: { hide: true },
        handler: (request, reply) =>
          reply
            .code(405)
            .header('allow', allowed)
            .send(
              errorBody(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allowed}.`),
            ),
      });
    }
  };
}
