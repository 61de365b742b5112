// Who is signed in to the web UI: a signed cookie (HMAC, @fastify/cookie) holding the identity
// (name, email, the groups any permission looks at, how it was proven) and when the session ends.
// Never a token: a token is checked once, at sign-in, and forgotten. HttpOnly, SameSite=Lax,
// Secure when the UI is served over HTTPS, for /ui only. The end is checked here, not only by the
// browser (Max-Age). A short-lived "flash" cookie carries one message to the next page, and a
// sign-in cookie what an OIDC sign-in must find again at its callback.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Caller } from '../auth/caller.js';
import { IDENTITY_TEXT_RULE, isIdentityText } from '../auth/identity.js';
import type { SignInTransaction } from '../auth/oidcSignIn.js';

const SESSION_COOKIE = 'trainyard_session';
const FLASH_COOKIE = 'trainyard_flash';
const SIGN_IN_COOKIE = 'trainyard_sign_in';
export const CSRF_COOKIE = 'trainyard_csrf';

/** How long a started OIDC sign-in may take at the identity provider. */
const SIGN_IN_SECONDS = 10 * 60;

const IdentityText = z.string().refine(isIdentityText, `must be ${IDENTITY_TEXT_RULE}`);

const SessionSchema = z.strictObject({
  name: IdentityText,
  email: IdentityText,
  groups: z.array(z.string().min(1).max(256)).max(1000),
  via: z.enum(['token', 'oidc']),
  /** Milliseconds since the epoch. */
  expiresAt: z.number().int(),
});

const FlashSchema = z.strictObject({ kind: z.enum(['done', 'problem']), text: z.string().max(2000) });
export type Flash = z.infer<typeof FlashSchema>;

const SignInSchema = z.strictObject({
  state: z.string().max(200),
  nonce: z.string().max(200),
  codeVerifier: z.string().max(200),
  redirectUri: z.string().max(2100),
  next: z.string().max(2048),
});

/**
 * Whom a CSRF token is for: the signed-in person, or nobody yet (a sign-in form, AUTH_MODE=none).
 * A token given before a sign-in is no good after it, and the other way round.
 */
export function csrfUserOf(request: FastifyRequest): string {
  return request.caller ? `person:${request.caller.email}` : 'nobody';
}

export interface SessionOptions {
  readonly lifetimeMs: number;
  /** Whether cookies are marked Secure (the UI is served over HTTPS). */
  readonly secure: boolean;
  readonly clock: () => Date;
}

export class UiSessions {
  constructor(private readonly options: SessionOptions) {}

  /** The signed-in person; undefined when nobody is, or the session ended or was tampered with. */
  caller(request: FastifyRequest): Caller | undefined {
    const session = this.readCookie(request, SESSION_COOKIE, SessionSchema);
    if (!session || session.expiresAt <= this.options.clock().getTime()) return undefined;
    return { name: session.name, email: session.email, groups: session.groups, via: session.via };
  }

  /** When the session of this request ends (for the page that says so). */
  expiresAt(request: FastifyRequest): Date | undefined {
    const session = this.readCookie(request, SESSION_COOKIE, SessionSchema);
    return session ? new Date(session.expiresAt) : undefined;
  }

  start(reply: FastifyReply, caller: Caller): void {
    if (caller.via !== 'token' && caller.via !== 'oidc')
      throw new Error('a session needs a verified identity');
    const expiresAt = this.options.clock().getTime() + this.options.lifetimeMs;
    const session = {
      name: caller.name,
      email: caller.email,
      groups: [...caller.groups],
      via: caller.via,
      expiresAt,
    };
    this.setCookie(reply, SESSION_COOKIE, session, Math.floor(this.options.lifetimeMs / 1000));
  }

  end(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, this.cookieOptions());
  }

  flash(reply: FastifyReply, flash: Flash): void {
    this.setCookie(reply, FLASH_COOKIE, flash, 60);
  }

  /** The message the previous answer left for this page, once. */
  takeFlash(request: FastifyRequest, reply: FastifyReply): Flash | undefined {
    if (request.cookies[FLASH_COOKIE] === undefined) return undefined;
    reply.clearCookie(FLASH_COOKIE, this.cookieOptions());
    return this.readCookie(request, FLASH_COOKIE, FlashSchema);
  }

  startSignIn(reply: FastifyReply, transaction: SignInTransaction & { next: string }): void {
    this.setCookie(reply, SIGN_IN_COOKIE, transaction, SIGN_IN_SECONDS);
  }

  /** The sign-in this browser started (undefined when none, or it took too long); used once. */
  takeSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
  ): (SignInTransaction & { next: string }) | undefined {
    if (request.cookies[SIGN_IN_COOKIE] === undefined) return undefined;
    reply.clearCookie(SIGN_IN_COOKIE, this.cookieOptions());
    return this.readCookie(request, SIGN_IN_COOKIE, SignInSchema);
  }

  cookieOptions() {
    return { path: '/ui', httpOnly: true, sameSite: 'lax', secure: this.options.secure } as const;
  }

  private setCookie(reply: FastifyReply, name: string, value: unknown, maxAgeSeconds: number): void {
    const encoded = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    reply.setCookie(name, encoded, { ...this.cookieOptions(), signed: true, maxAge: maxAgeSeconds });
  }

  private readCookie<T>(request: FastifyRequest, name: string, schema: z.ZodType<T>): T | undefined {
    const raw = request.cookies[name];
    if (raw === undefined) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return undefined;
    try {
      const parsed = schema.safeParse(JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
