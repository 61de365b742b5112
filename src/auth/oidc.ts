// OIDC bearer tokens (AUTH_MODE=oidc): the JWT's signature against the issuer's published keys,
// its iss, aud, exp and nbf, and an `email` only with `email_verified` not false. Only asymmetric
// algorithms: `none` and HMAC (which would take the public key as a shared secret) are refused.
// The keys are cached and fetched again for an unknown `kid`, at most once a minute, so a storm of
// made-up kids costs the issuer nothing.
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { AppError } from '../domain/errors.js';
import type { Caller } from './caller.js';
import { isIdentityText } from './identity.js';

export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export interface OidcOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Else discovered from the issuer's /.well-known/openid-configuration. */
  readonly jwksUrl?: string;
  readonly groupsClaim: string;
  readonly emailClaim: string;
  /** The least time between two fetches of the keys (jose's cooldown). */
  readonly keyRefreshCooldownMs?: number;
  readonly fetchTimeoutMs?: number;
  /** How long a failed discovery is answered from memory (503) before the issuer is asked again. */
  readonly discoveryRetryMs?: number;
}

const CLOCK_TOLERANCE_SECONDS = 30;
const DISCOVERY_RETRY_MS = 5_000;

export class OidcVerifier {
  private keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  private discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  private lastDiscoveryFailure: { readonly at: number; readonly error: unknown } | undefined;

  constructor(private readonly options: OidcOptions) {}

  /** The caller the token proves; undefined when it proves nothing. 503 when the issuer cannot be reached. */
  async verify(token: string): Promise<Caller | undefined> {
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || isNetworkError(error))
        throw identityProviderUnavailable(error);
      return undefined;
    }
    return callerFromClaims(payload, this.options, 'oidc');
  }

  private async keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.keys) return this.keys;
    // After a failed discovery, requests fail fast for a while instead of each asking the issuer.
    if (
      this.lastDiscoveryFailure &&
      Date.now() - this.lastDiscoveryFailure.at < (this.options.discoveryRetryMs ?? DISCOVERY_RETRY_MS)
    ) {
      throw this.lastDiscoveryFailure.error;
    }
    this.discovering ??= this.discover()
      .then(
        (keys) => {
          this.lastDiscoveryFailure = undefined;
          return keys;
        },
        (error: unknown) => {
          this.lastDiscoveryFailure = { at: Date.now(), error };
          throw error;
        },
      )
      .finally(() => {
        this.discovering = undefined;
      });
    this.keys = await this.discovering;
    return this.keys;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const timeoutDuration = this.options.fetchTimeoutMs ?? 5000;
    let jwksUrl = this.options.jwksUrl;
    if (jwksUrl === undefined) {
      const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      let document: { issuer?: unknown; jwks_uri?: unknown };
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutDuration) });
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        document = (await response.json()) as typeof document;
      } catch (error) {
        throw identityProviderUnavailable(error);
      }
      if (document.issuer !== this.options.issuer || typeof document.jwks_uri !== 'string') {
        throw identityProviderUnavailable(new Error(`${url} names another issuer or no jwks_uri`));
      }
      jwksUrl = document.jwks_uri;
    }
    return createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: this.options.keyRefreshCooldownMs ?? 60_000,
      timeoutDuration,
    });
  }
}

/** The identity provider could not be asked (its keys, its discovery document, its token endpoint). */
export function identityProviderUnavailable(cause: unknown): AppError {
  return new AppError('AUTH_UNAVAILABLE', 'The identity provider cannot be reached; try again shortly.', {
    cause,
    retryAfterSeconds: 5,
  });
}

/** The keys could not be fetched (as opposed to a token that does not verify). */
function isNetworkError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof errors.JOSEError &&
      error.code === 'ERR_JOSE_GENERIC' &&
      /JSON Web Key Set/.test(error.message))
  );
}

/**
 * The identity OIDC claims vouch for (a verified bearer JWT, or the claims of a web UI sign-in):
 * the email claim, unless the issuer says it is not verified; the name where present; the groups.
 */
export function callerFromClaims(
  claims: Readonly<Record<string, unknown>>,
  { emailClaim, groupsClaim }: Pick<OidcOptions, 'emailClaim' | 'groupsClaim'>,
  via: Caller['via'],
): Caller | undefined {
  const email = claims[emailClaim];
  if (typeof email !== 'string' || !isIdentityText(email)) return undefined;
  // An address the issuer has not verified is only what someone typed in (OIDC Core 5.1); some
  // issuers send the flag as a string.
  const verified = claims.email_verified;
  if (emailClaim === 'email' && (verified === false || verified === 'false')) return undefined;
  const name = typeof claims.name === 'string' && isIdentityText(claims.name) ? claims.name : email;
  const claim = claims[groupsClaim];
  const groups = (Array.isArray(claim) ? claim : [claim]).filter(
    (group): group is string => typeof group === 'string' && group.length > 0,
  );
  return { name, email, groups, via };
}

/** A bearer value shaped like a JWS compact serialization (three base64url parts). */
export function looksLikeJwt(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}
