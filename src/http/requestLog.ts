// What every finished request leaves behind: one log line per write with what it was about and
// how it ended (the request id is on every line), and its duration in the metrics, served at /metrics.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export function observeRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      request.log.info(
        {
          route: request.routeOptions.url,
          target: request.params,
          statusCode: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime),
        },
        'write finished',
      );
    }
    metrics.requestFinished(
      request.method,
      request.routeOptions.url ?? 'unknown',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
