// The web UI at /ui/ (and / redirects there): server-rendered pages that work without JavaScript
// (every write is a form POST), enhanced by htmx, served by the service itself with nothing from
// elsewhere. Its own context of the Fastify instance: form bodies, cookies and CSRF checks exist
// only here, so the API's content-type policy and authentication are what they were. People sign
// in (token or OIDC) to a session; every page and form runs as that person, through the same
// services as the API (same permissions, same commits).
import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import type { OidcSignIn } from '../auth/oidcSignIn.js';
import type { Permissions } from '../auth/permissions.js';
import { AppError } from '../domain/errors.js';
import { describeError } from '../http/errors.js';
import type { ApplicationService } from '../services/applications.js';
import type { HistoryService } from '../services/history.js';
import type { OverviewService } from '../services/overview.js';
import type { ReleaseTrainService } from '../services/releaseTrains.js';
import type { ManifestWrites } from '../services/writes.js';
import { loadStaticAssets } from './assets.js';
import { applicationPage } from './pages/application.js';
import { historyPage } from './pages/history.js';
import { lockPages } from './pages/locks.js';
import { overviewPage } from './pages/overview.js';
import { signInPages } from './pages/signIn.js';
import { trainPages } from './pages/train.js';
import { Renderer } from './render.js';
import { CSRF_COOKIE, csrfUserOf, UiSessions } from './session.js';

export interface WebUiOptions {
  readonly trains: ReleaseTrainService;
  readonly writes: ManifestWrites;
  readonly overview: OverviewService;
  readonly history: HistoryService;
  readonly applications: ApplicationService;
  readonly authenticator: Authenticator;
  readonly permissions: Permissions;
  /** The OIDC sign-in (OIDC_CLIENT_ID); absent: people sign in with a token only. */
  readonly oidc?: OidcSignIn;
  /** Signs the UI's cookies (UI_SESSION_SECRET, or a random one per process). */
  readonly sessionSecret: string;
  readonly sessionLifetimeMs: number;
  /** Where people reach the service (PUBLIC_URL); absent: what each request says. */
  readonly publicUrl?: string;
  readonly clock: () => Date;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A UI route anyone may ask without a session (the sign-in pages, the style sheet, the script). */
    uiPublic?: boolean;
  }
}

/** What every page of the UI answers with (no framing, no other origin, no caching of pages). */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

export async function webUi(app: FastifyInstance, options: WebUiOptions): Promise<void> {
  for (const url of ['/', '/ui']) {
    app.get(url, { schema: { hide: true } }, (_request, reply) => reply.redirect('/ui/', 302));
  }
  await app.register(uiPages, { ...options, prefix: '/ui' });
}

async function uiPages(app: FastifyInstance, options: WebUiOptions): Promise<void> {
  const { authenticator, clock } = options;
  const sessions = new UiSessions({
    lifetimeMs: options.sessionLifetimeMs,
    secure: options.publicUrl?.startsWith('https:') ?? false,
    clock,
  });
  const render = new Renderer(sessions, authenticator.required);
  const assets = loadStaticAssets();

  await app.register(fastifyCookie, { secret: options.sessionSecret, hook: 'onRequest' });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { ...sessions.cookieOptions(), signed: true },
    // A token is good only for the person it was given to (and, before a sign-in, for nobody's).
    getUserInfo: csrfUserOf,
    csrfOpts: { hmacKey: createHmac('sha256', options.sessionSecret).update('csrf').digest('hex') },
  });

  // Who asks: the session's person (token and OIDC modes); a page without one goes to the sign-in.
  app.addHook('onRequest', async (request, reply) => {
    if (!authenticator.required) return;
    request.caller = sessions.caller(request) ?? null;
    if (request.caller || request.routeOptions.config.uiPublic) return;
    if (request.method === 'GET' || request.method === 'HEAD') {
      const next = request.url.startsWith('/ui/') ? request.url : '/ui/';
      return reply.redirect(`/ui/signin?next=${encodeURIComponent(next)}`, 303);
    }
    throw new AppError(
      'UNAUTHENTICATED',
      'You are not signed in (or your session has ended): sign in, then try again.',
    );
  });
  // Forms only: a write of the UI is a form POST, anything else is refused before it is read further.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST') return;
    const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the form (application/x-www-form-urlencoded).');
    }
  });
  // Every form carries the CSRF token of its page.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST') return done();
    app.csrfProtection(request, reply, done);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (!request.url.startsWith('/ui/static/')) reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => answerWithPage(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    answerWithPage(
      new AppError('NOT_FOUND', `There is no page ${request.url.split('?')[0]}.`),
      request,
      reply,
    ),
  );

  function answerWithPage(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) {
    const csrf = typeof error.code === 'string' && error.code.startsWith('FST_CSRF_');
    const described = csrf
      ? {
          statusCode: 403,
          code: 'FORBIDDEN',
          message:
            'The form was refused: its security token is missing, or is not the one of this page for you (the page may be older than your sign-in, or the form came from another site).',
        }
      : describeError(error as FastifyError);
    const { statusCode, code, message } = described;
    if (code === 'INTERNAL_ERROR') request.log.error({ err: error, code }, 'request failed');
    else if (statusCode >= 500) request.log.warn({ code, message }, 'request failed');
    else request.log.info({ code, message }, 'request rejected');
    if (error instanceof AppError && error.retryAfterSeconds !== undefined) {
      reply.header('retry-after', String(error.retryAfterSeconds));
    }
    const heading =
      statusCode === 404
        ? 'Not found'
        : statusCode === 401
          ? 'Sign-in needed'
          : statusCode === 403
            ? 'Not allowed'
            : statusCode === 409
              ? 'Conflict'
              : statusCode < 500
                ? 'This cannot be done'
                : 'The service could not do this';
    return render.page(request, reply, {
      template: 'error',
      title: heading,
      section: 'error',
      status: statusCode,
      data: {
        heading,
        message,
        code,
        status: statusCode,
        requestId: request.id,
        nothingChanged: request.method === 'POST',
        hint:
          statusCode === 401 ? 'Sign in at /ui/signin.' : statusCode === 503 ? 'Try again in a moment.' : '',
        back: request.method === 'GET' ? '/ui/' : backTo(request),
      },
    });
  }

  app.get('/static/:name', { schema: { hide: true }, config: { uiPublic: true } }, async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) throw new AppError('NOT_FOUND', 'There is no such file.');
    reply.header('content-type', asset.contentType).header('etag', asset.etag);
    reply.header('cache-control', 'public, max-age=3600');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
      return reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding').send(asset.gzipped);
    }
    return reply.header('vary', 'accept-encoding').send(asset.content);
  });

  const ui = { ...options, render, sessions };
  overviewPage(app, ui);
  trainPages(app, ui);
  lockPages(app, ui);
  applicationPage(app, ui);
  historyPage(app, ui);
  signInPages(app, ui);
}

/** Where a refused form came from, when it is a page of this UI. */
function backTo(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return '/ui/';
  try {
    const url = new URL(referer);
    return url.host === request.headers.host && url.pathname.startsWith('/ui/')
      ? `${url.pathname}${url.search}`
      : '/ui/';
  } catch {
    return '/ui/';
  }
}
