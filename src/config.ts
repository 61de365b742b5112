// Configuration: one zod schema over the environment. A bad value stops the service with a
// message naming the variable.
import { z } from 'zod';
import { GIT_REF_NAME_PATTERN } from './domain/names.js';
import { RELEASES_KEPT_DEFAULT, RELEASES_KEPT_MAX, RELEASES_KEPT_MIN } from './planning/retention.js';

export const DEFAULT_MANIFEST_REPO_PATH = './data/manifest-repo';

/** What git takes as a remote, and nothing that could read as an option or carry a line break. */
const REMOTE_URL_PATTERN = /^(?:(?:https?|ssh|git|file):\/\/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)$/;

/**
 * Where the OIDC issuer and its keys may be fetched from: https, or plain http only to this
 * machine (a local issuer, a sidecar). Keys fetched over plain http elsewhere could be swapped on
 * the way, and every token signed with the swapped ones would verify.
 */
const OidcUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine(
    isHttpsOrLoopback,
    'must be an https:// URL (http:// only to a loopback address: 127.0.0.0/8, ::1, localhost)',
  );

export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('Port to listen on'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Address to listen on'),
  MANIFEST_REPO_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The git repository of the service; created (bare) when missing. Default: ./data/manifest-repo, seeded with a demo',
    ),
  MANIFEST_REPO_URL: z
    .string()
    .max(2000)
    .regex(
      REMOTE_URL_PATTERN,
      'must be an https://, http://, ssh://, git:// or file:// URL, or user@host:path',
    )
    .optional()
    .describe('A git server to clone from and push to; the local repo is then a cache'),
  GIT_REMOTE_TIMEOUT_SECONDS: z.coerce
    .number()
    .min(1)
    .max(3600)
    .default(30)
    .describe('A fetch or push taking longer is killed, and the request fails with 504'),
  MANIFEST_REPO_FETCH_INTERVAL_SECONDS: z.coerce
    .number()
    .min(1)
    .max(3600)
    .default(10)
    .describe('With a remote: how often the clone is fetched between writes'),
  MANIFEST_REPO_PUSH_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .default(8)
    .describe('With a remote: how often a write is planned and pushed when the branch moved meanwhile'),
  MANIFEST_REPO_BRANCH: z
    .string()
    .max(200)
    .regex(GIT_REF_NAME_PATTERN, 'must be a valid git branch name')
    .default('main')
    .describe('The branch that holds the state'),
  RELEASE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(10 * 1024 * 1024)
    .describe('The most a release upload may hold, all manifests together'),
  RELEASES_KEPT: z.coerce
    .number()
    .int()
    .min(RELEASES_KEPT_MIN)
    .max(RELEASES_KEPT_MAX)
    .default(RELEASES_KEPT_DEFAULT)
    .describe(
      "Releases kept per app below the oldest deployed one, that one included; a commit that deploys an app removes the app's older releases",
    ),
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce
    .number()
    .min(1)
    .max(3600)
    .default(30)
    .describe('A client that has not sent all its headers by then gets 408 and is disconnected'),
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce
    .number()
    .min(1)
    .max(86_400)
    .default(300)
    .describe(
      'A client that has not sent its whole request (a release upload too) by then gets 408 and is disconnected',
    ),
  AUTH_MODE: z
    .enum(['none', 'token', 'oidc', 'token,oidc', 'oidc,token'], {
      message: 'must be none, token, oidc or token,oidc',
    })
    .default('none')
    .describe('How callers are identified; none: the author-* headers'),
  AUTH_TOKENS_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('YAML list of {name, email, sha256, groups} (AUTH_MODE token)'),
  OIDC_ISSUER: OidcUrlSchema.optional().describe(
    'The issuer URL (AUTH_MODE oidc); https, or http only to a loopback address',
  ),
  OIDC_AUDIENCE: z.string().min(1).optional().describe('The audience tokens must name (AUTH_MODE oidc)'),
  OIDC_JWKS_URL: OidcUrlSchema.optional().describe(
    'Else discovered from the issuer; https, or http only to a loopback address',
  ),
  OIDC_GROUPS_CLAIM: z.string().min(1).default('groups').describe('The claim that lists the groups'),
  OIDC_EMAIL_CLAIM: z.string().min(1).default('email').describe('The claim that is the identity'),
  OIDC_ALLOW_ANY_IDENTITY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe(
      'With AUTH_MODE oidc and no RBAC_POLICY_FILE, start anyway: every identity the issuer vouches for may write',
    ),
  RBAC_POLICY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Kuberpult's policy format; none: every identified caller may write (oidc: see OIDC_ALLOW_ANY_IDENTITY)",
    ),
  TEAMS_FILE: z.string().min(1).optional().describe('YAML: team -> emails or groups; limits trains'),
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(120)
    .describe('Writes per caller (or address) and minute, then 429; 0: no limit'),
  AUTH_ALLOW_UNAUTHENTICATED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('With AUTH_MODE=none, allow listening on an address other than loopback'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .refine(
      (value) => /^https?:\/\/[^/?#]+\/?$/.test(value),
      'must be where the service is reached, scheme, host and port only (its pages are at /ui/ there)',
    )
    .transform((value) => value.replace(/\/+$/, ''))
    .optional()
    .describe(
      'Where people reach the service (the web UI): the base of the OIDC redirect URI; https marks cookies Secure',
    ),
  UI_SESSION_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .max(1024)
    .optional()
    .describe(
      'Signs the web UI cookies; none: a random one at start (sessions end at a restart and do not span replicas)',
    ),
  UI_SESSION_HOURS: z.coerce
    .number()
    .min(0.05)
    .max(168)
    .default(8)
    .describe('How long a web UI sign-in lasts'),
  OIDC_CLIENT_ID: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe('The web UI signs people in with the issuer as this client (authorization code with PKCE)'),
  OIDC_CLIENT_SECRET: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe('The secret of OIDC_CLIENT_ID; none: a public client (PKCE alone)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Settings that only make sense together. */
function checkCombinations(config: Config): string[] {
  const problems: string[] = [];
  const modes = authModes(config);
  if (modes.includes('token') && !config.AUTH_TOKENS_FILE)
    problems.push('AUTH_TOKENS_FILE: required with AUTH_MODE token');
  if (modes.includes('oidc') && !config.OIDC_ISSUER)
    problems.push('OIDC_ISSUER: required with AUTH_MODE oidc');
  if (modes.includes('oidc') && !config.OIDC_AUDIENCE)
    problems.push('OIDC_AUDIENCE: required with AUTH_MODE oidc');
  // An issuer such as GitHub Actions signs tokens for every repository on GitHub, with an audience
  // the caller chooses: without a policy, each of them could deploy.
  if (modes.includes('oidc') && !config.RBAC_POLICY_FILE && !config.OIDC_ALLOW_ANY_IDENTITY)
    problems.push(
      'RBAC_POLICY_FILE: required with AUTH_MODE oidc, since the issuer may vouch for identities that are not yours ' +
        '(GitHub Actions signs tokens for every repository on GitHub, with any audience the caller asks for); ' +
        'set OIDC_ALLOW_ANY_IDENTITY=true to let every identity the issuer vouches for write',
    );
  if (config.OIDC_CLIENT_ID && !modes.includes('oidc'))
    problems.push('OIDC_CLIENT_ID: the web UI signs in with OIDC only with AUTH_MODE oidc');
  if (config.OIDC_CLIENT_SECRET && !config.OIDC_CLIENT_ID)
    problems.push('OIDC_CLIENT_SECRET: set OIDC_CLIENT_ID too');
  if (config.HTTP_HEADERS_TIMEOUT_SECONDS > config.HTTP_REQUEST_TIMEOUT_SECONDS)
    problems.push('HTTP_HEADERS_TIMEOUT_SECONDS: must not be more than HTTP_REQUEST_TIMEOUT_SECONDS');
  return problems;
}

export function authModes(config: Pick<Config, 'AUTH_MODE'>): ('token' | 'oidc')[] {
  return config.AUTH_MODE === 'none' ? [] : (config.AUTH_MODE.split(',') as ('token' | 'oidc')[]);
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable counts as unset, as shells and container specs often leave them.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = ConfigSchema.safeParse(present);
  const problems = parsed.success
    ? checkCombinations(parsed.data)
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  if (parsed.success && problems.length === 0) return parsed.data;
  throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** Loopback addresses: what an unauthenticated service may listen on by default. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** An https URL, or an http one to a loopback address (URL hostnames are normalized: [::1], 127.0.0.1). */
export function isHttpsOrLoopback(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[(.*)\]$/, '$1')))
    );
  } catch {
    return false;
  }
}
