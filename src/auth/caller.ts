// Who a request comes from: a verified identity (token, OIDC) or, without authentication, what
// the author-* headers say. The commit author is always the caller's name and email.
import type { Identity } from '../planning/changes.js';

export interface Caller extends Identity {
  /** Groups of the identity (token file `groups`, OIDC groups claim): what RBAC `g` lines name. */
  readonly groups: readonly string[];
  /** How the identity was established. */
  readonly via: 'headers' | 'token' | 'oidc';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook in token/oidc mode; null without authentication. */
    caller: Caller | null;
  }
}
