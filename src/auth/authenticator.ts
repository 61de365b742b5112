// Establishes the caller of a request. AUTH_MODE=none: the author-* headers (or the default
// identity). token / oidc / token,oidc: a verified bearer value, or 401 with WWW-Authenticate.
import { AppError } from '../domain/errors.js';
import type { Caller } from './caller.js';
import { authorFromHeaders } from './identity.js';
import { looksLikeJwt, type OidcVerifier } from './oidc.js';
import type { TokenStore } from './tokens.js';

type Headers = Record<string, string | string[] | undefined>;

export class Authenticator {
  constructor(
    private readonly tokens?: TokenStore,
    private readonly oidc?: OidcVerifier,
  ) {}

  /** Whether requests must prove who they are (AUTH_MODE token and/or oidc). */
  get required(): boolean {
    return this.tokens !== undefined || this.oidc !== undefined;
  }

  /** Whether a bearer JWT of the OIDC issuer proves an identity (AUTH_MODE oidc). */
  get acceptsJwts(): boolean {
    return this.oidc !== undefined;
  }

  /** The verified caller; throws 401 when the request proves nothing. */
  async authenticate(headers: Headers): Promise<Caller> {
    const header = headers.authorization;
    if (header === undefined) throw unauthenticated('Send Authorization: Bearer <token>.');
    const match = typeof header === 'string' ? /^Bearer +([^\s]+) *$/i.exec(header) : null;
    if (!match?.[1]) {
      // RFC 6750: another scheme gets the bare challenge; a broken Bearer header is an invalid request.
      const brokenBearer = typeof header !== 'string' || /^bearer\b/i.test(header);
      throw unauthenticated(
        'The Authorization header must be "Bearer <token>".',
        brokenBearer ? 'invalid_request' : undefined,
      );
    }
    const bearer = match[1];
    // token,oidc: a JWT is verified as one, anything else is looked up as a token.
    const caller =
      this.oidc && (looksLikeJwt(bearer) || !this.tokens)
        ? await this.oidc.verify(bearer)
        : await this.tokens?.verify(bearer);
    if (!caller) throw unauthenticated('The bearer token is not valid.', 'invalid_token');
    return caller;
  }
}

/** Without authentication: who the author-* headers name (400 when they are malformed). */
export function callerFromHeaders(headers: Headers): Caller {
  return { ...authorFromHeaders(headers), groups: [], via: 'headers' };
}

/** 401: the request proves no identity; `challenge` is what the WWW-Authenticate header says. */
export class UnauthenticatedError extends AppError {
  constructor(
    message: string,
    readonly challenge: string,
  ) {
    super('UNAUTHENTICATED', message);
    this.name = 'UnauthenticatedError';
  }
}

function unauthenticated(message: string, error?: string): UnauthenticatedError {
  const challenge = error ? `Bearer realm="trainyard", error="${error}"` : 'Bearer realm="trainyard"';
  return new UnauthenticatedError(message, challenge);
}

/** The caller of a request: verified by the onRequest hook, or (AUTH_MODE=none) from its headers. */
export function callerOf(request: { caller: Caller | null; headers: Headers }): Caller {
  return request.caller ?? callerFromHeaders(request.headers);
}
