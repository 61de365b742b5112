// Who calls: in token/oidc mode every request but the public ones proves an identity before
// anything else runs (routes read it with callerOf); without authentication, nothing runs here.
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';

/** What anyone may ask without an identity (probes, the API description). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/openapi.json']);

/**
 * The web UI (`/` and everything under `/ui/`) identifies people by its own session cookie, never
 * by a bearer value: src/ui/session.ts checks every one of its requests.
 */
export function isUiPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === '/' || path === '/ui' || path.startsWith('/ui/');
}

export function authenticateRequests(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('caller', null);
  if (!authenticator.required) return;
  app.addHook('onRequest', async (request) => {
    // The route's own path decides; a path no route has (a 404) is judged by what was asked.
    const route = request.routeOptions.url;
    if (route === undefined ? isUiPath(request.url) : PUBLIC_ROUTES.has(route) || isUiPath(route)) return;
    request.caller = await authenticator.authenticate(request.headers);
  });
}
