// Signing in and out of the web UI. With a token (AUTH_MODE token, or a JWT of the OIDC issuer):
// the token is checked by the API's Authenticator once, and only who it names is kept. With OIDC
// (OIDC_CLIENT_ID): the authorization code flow with PKCE, through the issuer's sign-in page and
// back to /ui/auth/callback. Either way the session cookie holds the identity, never a token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Authenticator, UnauthenticatedError } from '../../auth/authenticator.js';
import type { Caller } from '../../auth/caller.js';
import type { OidcSignIn } from '../../auth/oidcSignIn.js';
import type { Permissions } from '../../auth/permissions.js';
import { AppError } from '../../domain/errors.js';
import { formatDuration } from '../format.js';
import { localUiPath, parseFields, required } from '../forms.js';
import type { Renderer } from '../render.js';
import type { UiSessions } from '../session.js';

interface SignInContext {
  readonly render: Renderer;
  readonly sessions: UiSessions;
  readonly authenticator: Authenticator;
  readonly permissions: Permissions;
  readonly oidc?: OidcSignIn;
  readonly publicUrl?: string;
  readonly sessionLifetimeMs: number;
}

const SignInForm = {
  _csrf: z.string(),
  next: z.string().max(2048).optional(),
  // A bearer value: one line of printable characters, as an Authorization header carries it.
  token: required(
    z
      .string()
      .trim()
      .max(8192, 'is longer than any token the service accepts')
      .regex(/^[\x21-\x7e]+$/, 'a token is one word of printable ASCII characters'),
  ),
};

export function signInPages(app: FastifyInstance, ui: SignInContext): void {
  const publicRoute = { schema: { hide: true }, config: { uiPublic: true } } as const;
  const signInView = (request: FastifyRequest, next: string, problem?: string) => ({
    template: 'signin',
    title: 'Sign in',
    section: 'signin' as const,
    status: problem ? 401 : 200,
    data: {
      next,
      problem,
      required: ui.authenticator.required,
      oidc: ui.oidc ? new URL(ui.oidc.issuer).host : undefined,
      jwt: ui.authenticator.acceptsJwts,
      sessionHours: formatDuration(ui.sessionLifetimeMs),
      signedIn: request.caller !== null,
    },
  });

  /** Who the person is, as a session keeps it: the groups that no permission looks at are left out. */
  const sessionCaller = (caller: Caller): Caller => ({
    ...caller,
    groups: ui.permissions.groupsThatMatter(caller.groups),
  });

  app.get('/signin', publicRoute, async (request, reply) => {
    const next = localUiPath((request.query as Record<string, unknown>).next);
    return ui.render.page(request, reply, signInView(request, next));
  });

  app.post('/signin', publicRoute, async (request, reply) => {
    if (!ui.authenticator.required) return reply.redirect('/ui/', 303);
    const next = localUiPath((request.body as Record<string, unknown> | undefined)?.next);
    let token: string;
    try {
      ({ token } = parseFields(SignInForm, { token: 'Token' }, request.body));
    } catch (error) {
      if (error instanceof AppError)
        return ui.render.page(request, reply, signInView(request, next, error.message));
      throw error;
    }
    let caller: Caller;
    try {
      caller = await ui.authenticator.authenticate({ authorization: `Bearer ${token}` });
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        request.log.info({ code: error.code }, 'web UI sign-in refused');
        return ui.render.page(request, reply, signInView(request, next, 'This token is not valid.'));
      }
      throw error;
    }
    ui.sessions.start(reply, sessionCaller(caller));
    request.log.info({ email: caller.email, via: caller.via }, 'web UI sign-in');
    return reply.redirect(next, 303);
  });

  app.get('/auth/oidc', publicRoute, async (request, reply) => {
    if (!ui.oidc)
      throw new AppError('NOT_FOUND', 'Signing in with OIDC is not set up here (OIDC_CLIENT_ID).');
    const next = localUiPath((request.query as Record<string, unknown>).next);
    const { url, transaction } = await ui.oidc.start(`${baseUrl(request, ui.publicUrl)}/ui/auth/callback`);
    ui.sessions.startSignIn(reply, { ...transaction, next });
    return reply.redirect(url, 303);
  });

  app.get('/auth/callback', publicRoute, async (request, reply) => {
    if (!ui.oidc)
      throw new AppError('NOT_FOUND', 'Signing in with OIDC is not set up here (OIDC_CLIENT_ID).');
    const transaction = ui.sessions.takeSignIn(request, reply);
    if (!transaction) {
      throw new AppError(
        'UNAUTHENTICATED',
        'This sign-in was not started in this browser, or took longer than 10 minutes: start it again.',
      );
    }
    const caller = await ui.oidc.finish(new URL(request.url, 'http://callback.invalid'), transaction);
    ui.sessions.start(reply, sessionCaller(caller));
    request.log.info({ email: caller.email, via: caller.via }, 'web UI sign-in');
    return reply.redirect(localUiPath(transaction.next), 303);
  });

  app.post('/signout', publicRoute, async (_request, reply) => {
    ui.sessions.end(reply);
    return reply.redirect(ui.authenticator.required ? '/ui/signin' : '/ui/', 303);
  });
}

/** The service's address as people reach it: PUBLIC_URL, else what the request says. */
function baseUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl;
  // Only the redirect URI is made of it, which the identity provider checks against the client's.
  return `${request.protocol}://${request.host}`;
}
