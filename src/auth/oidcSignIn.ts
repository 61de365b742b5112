// Signing a person in to the web UI with OIDC: the authorization code flow with PKCE (S256),
// a state and a nonce, through openid-client. `start` gives the issuer's authorization URL and
// what the browser must bring back (kept by the UI in a short-lived signed cookie); `finish`
// exchanges the code, checks state, nonce and the ID token, and turns the claims (the ID token's,
// completed by the userinfo endpoint) into a Caller with callerFromClaims, as a bearer JWT is.
import * as client from 'openid-client';
import { AppError } from '../domain/errors.js';
import type { Caller } from './caller.js';
import { callerFromClaims, identityProviderUnavailable, type OidcOptions } from './oidc.js';

export interface OidcSignInOptions extends Pick<OidcOptions, 'emailClaim' | 'groupsClaim'> {
  readonly issuer: string;
  readonly clientId: string;
  /** Absent: a public client, PKCE alone. */
  readonly clientSecret?: string;
  readonly timeoutMs?: number;
}

/** What the browser brings back to the callback, from the sign-in that it started. */
export interface SignInTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
}

export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(private readonly options: OidcSignInOptions) {}

  /** The issuer, for the sign-in page ("Sign in with …"). */
  get issuer(): string {
    return this.options.issuer;
  }

  async start(redirectUri: string): Promise<{ url: string; transaction: SignInTransaction }> {
    const configuration = await this.configured();
    const codeVerifier = client.randomPKCECodeVerifier();
    const transaction = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      redirectUri,
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return { url: url.href, transaction };
  }

  /** The person the issuer vouches for; 401 when the answer proves nothing. */
  async finish(callbackUrl: URL, transaction: SignInTransaction): Promise<Caller> {
    const configuration = await this.configured();
    // The redirect URI of the token request must be the one of the authorization request.
    const current = new URL(transaction.redirectUri);
    current.search = callbackUrl.search;
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new Error('no ID token');
      claims = { ...idClaims };
      const incomplete =
        claims[this.options.emailClaim] === undefined || claims[this.options.groupsClaim] === undefined;
      if (incomplete && configuration.serverMetadata().userinfo_endpoint) {
        const userInfo = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
        // The ID token's claims win; the userinfo endpoint fills in what it left out.
        claims = { ...userInfo, ...claims };
      }
    } catch (error) {
      if (isNetworkError(error)) throw identityProviderUnavailable(error);
      throw new AppError('UNAUTHENTICATED', `The sign-in was not completed: ${describe(error)}`, {
        cause: error,
      });
    }
    const caller = callerFromClaims(claims, this.options, 'oidc');
    if (!caller) {
      throw new AppError(
        'UNAUTHENTICATED',
        `The identity provider named no verified '${this.options.emailClaim}' for this account.`,
      );
    }
    return caller;
  }

  /** Discovered once; a failed discovery is tried again at the next sign-in. */
  private configured(): Promise<client.Configuration> {
    this.configuration ??= this.discover().catch((error: unknown) => {
      this.configuration = undefined;
      throw identityProviderUnavailable(error);
    });
    return this.configuration;
  }

  private async discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret, timeoutMs = 5000 } = this.options;
    const server = new URL(issuer);
    // Plain http is only ever allowed to a loopback issuer (config.ts).
    const execute = server.protocol === 'http:' ? [client.allowInsecureRequests] : [];
    return client.discovery(
      server,
      clientId,
      clientSecret,
      clientSecret === undefined ? client.None() : client.ClientSecretBasic(clientSecret),
      { execute, timeout: timeoutMs / 1000 },
    );
  }
}

function isNetworkError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))
  );
}

/** What went wrong, in the words of the issuer or the checks (never a token). */
function describe(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
    return error.error_description ? `${error.error}: ${error.error_description}` : error.error;
  }
  return error instanceof Error ? error.message : 'unknown error';
}
