// One manifest repo in which a train over the group `prod` meets every skip cause of
// release-train.md once, and deploys one app.
import { layoutFiles } from '../support/layout.js';

const ALL = ['dev', 'staging', 'prod-au', 'prod-br', 'prod-ca', 'prod-de', 'prod-jp', 'prod-us'];

export const WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ALL, 2: ALL, 3: ALL } },
    // Release 2 of cart has no manifest for prod-ca.
    cart: { team: 'shop', releases: { 1: ALL, 2: ['dev', 'staging'] } },
    search: { team: 'discovery', releases: { 1: ALL, 2: ALL, 3: ALL, 4: ALL } },
    billing: { team: 'payments', releases: { 1: ALL, 2: ALL } },
    docs: { releases: { 1: ALL, 2: ALL } },
    legacy: { team: 'shop', releases: { 1: ALL } },
  },
  environments: {
    dev: {
      config: { upstream: { latest: true } },
      deployed: { checkout: 3, cart: 2, search: 4, billing: 2, docs: 2 },
    },
    staging: {
      config: {
        upstream: { environment: 'dev' },
        argocd: { destination: { server: 'https://kubernetes.default.svc' } },
      },
      deployed: { checkout: 2, cart: 2, search: 3, billing: 1, docs: 2 },
      // legacy only has a lock in staging: no version there.
      appLocks: { legacy: { frozen: { message: 'retired' } } },
    },
    'prod-au': { config: { upstream: { environment: 'nowhere' }, environmentGroup: 'prod' } },
    'prod-br': { config: { upstream: { latest: true, environment: 'staging' }, environmentGroup: 'prod' } },
    'prod-ca': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1, cart: 1, search: 3 },
      queued: { checkout: 3 },
      appLocks: { docs: { 'docs-freeze': { message: 'rewriting', ciLink: 'https://ci.example.com/1' } } },
      teamLocks: {
        payments: { audit: { message: 'audit week', createdByName: 'Bo', createdByEmail: 'bo@example.com' } },
      },
    },
    'prod-de': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      locks: { xmas: { message: 'code freeze', suggestedLifetime: '7d' } },
      deployed: { checkout: 1 },
    },
    'prod-jp': { config: { upstream: {}, environmentGroup: 'prod' } },
    'prod-us': { config: { environmentGroup: 'prod' } },
  },
});

export const LOCK_AUTHOR = { name: 'Ana', email: 'ana@example.com' };
export const LOCK_TIME = '2026-11-20T09:00:00Z';

/** The prognosis of a train over `prod` on WORLD. */
export const PROD_PROGNOSIS = {
  'prod-au': { skipCause: 'UPSTREAM_ENV_CONFIG_NOT_FOUND' },
  'prod-br': { skipCause: 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV' },
  'prod-ca': {
    appsPrognoses: {
      prognoses: {
        billing: {
          skipCause: 'TEAM_IS_LOCKED',
          teamLocks: [
            {
              lockId: 'audit',
              message: 'audit week',
              createdAt: LOCK_TIME,
              createdBy: { name: 'Bo', email: 'bo@example.com' },
            },
          ],
        },
        cart: { skipCause: 'APP_DOES_NOT_EXIST_IN_ENV' },
        checkout: { deployedVersion: { version: 2 } },
        docs: {
          skipCause: 'APP_IS_LOCKED',
          appLocks: [
            {
              lockId: 'docs-freeze',
              message: 'rewriting',
              createdAt: LOCK_TIME,
              createdBy: LOCK_AUTHOR,
              ciLink: 'https://ci.example.com/1',
            },
          ],
        },
        legacy: { skipCause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' },
        search: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
      },
    },
  },
  'prod-de': {
    skipCause: 'ENV_IS_LOCKED',
    envLocks: {
      xmas: {
        lockId: 'xmas',
        message: 'code freeze',
        createdAt: LOCK_TIME,
        createdBy: LOCK_AUTHOR,
        suggestedLifetime: '7d',
      },
    },
  },
  'prod-jp': { skipCause: 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV' },
  'prod-us': { skipCause: 'ENV_HAS_NO_UPSTREAM' },
};

export const PROD_TRAIN_MESSAGE = (requestId: string, ciLink?: string) =>
  [
    "Release Train to environment/environment group 'prod':",
    '',
    'Could not find environment config for upstream env "nowhere". Target env was "prod-au"',
    '',
    'Environment "prod-br" has both upstream.latest and upstream.environment configured - skipping.',
    '',
    "Release Train to 'prod-ca' environment:",
    '',
    "The release train deployed 1 services from 'staging' to 'prod-ca'",
    'deployed version 2 of "checkout" to "prod-ca"',
    'Skipped services',
    'skipping application "billing" in environment "prod-ca" due to team lock on team "payments"',
    'skipping application "cart" in environment "prod-ca" because it doesn\'t exist there',
    'skipping application "docs" in environment "prod-ca" due to application lock',
    'skipping because there is no version for application "legacy" in env "staging"',
    'skipping "search" because it is already in the version 3',
    '',
    "Target Environment 'prod-de' is locked - skipping.",
    '',
    'Environment "prod-jp" does not have upstream.latest or upstream.environment configured - skipping.',
    '',
    "Environment 'prod-us' does not have upstream configured - skipping.",
    '',
    'Release-Train-Target: prod',
    ...(ciLink ? [`Ci-Link: ${ciLink}`] : []),
    `Request-Id: ${requestId}`,
    '',
  ].join('\n');
