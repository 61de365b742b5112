// Who calls: in token/oidc mode every request but the public ones proves an identity before
// anything else runs (routes read it with callerOf); without authentication, nothing runs here.
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';

/** What anyone may ask without an identity (probes, the API description). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/openapi.json']);

export function authenticateRequests(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('caller', null);
  if (!authenticator.required) return;
  app.addHook('onRequest', async (request) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    request.caller = await authenticator.authenticate(request.headers);
  });
}
