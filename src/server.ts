// The process shell: configuration -> repository -> app -> listen; graceful shutdown.

import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { Authenticator } from './auth/authenticator.js';
import { OidcVerifier } from './auth/oidc.js';
import { OidcSignIn } from './auth/oidcSignIn.js';
import { Permissions } from './auth/permissions.js';
import { PolicyError, parsePolicy } from './auth/policy.js';
import { parseTeamsFile, TeamsFileError } from './auth/teams.js';
import { TokenStore, TokensFileError } from './auth/tokens.js';
import {
  authModes,
  type Config,
  ConfigError,
  DEFAULT_MANIFEST_REPO_PATH,
  isLoopback,
  loadConfig,
} from './config.js';
import { prepareClone } from './manifest/clone.js';
import { seedDemo } from './manifest/demoSeed.js';
import { observeGitCommands } from './manifest/git.js';
import { requireGitVersion } from './manifest/gitVersion.js';
import { Remote } from './manifest/remote.js';
import { createManifestRepository } from './manifest/repository.js';
import { shutdownGraceMs } from './shutdownGrace.js';

// A cold read or a train at scale makes a few hundred MiB of short-lived objects: V8's default
// heap growth lets the old space grow to several times the live data before it collects, which
// set the peak RSS at Kuberpult scale (400 to 500 MiB for about 100 MiB live). Growing the heap by
// 20% between collections collects sooner (BENCHMARKS.md, issue 18). V8 reads the factor at each
// collection, so it can be set here; `node --heap-growing-percent=N` on the command line wins.
if (!process.execArgv.some((flag) => flag.startsWith('--heap-growing-percent'))) {
  setFlagsFromString('--heap-growing-percent=20');
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const gitVersion = await requireGitVersion();
  // security.md: without authentication, only the machine itself may call the service.
  const unauthenticatedOnNetwork = config.AUTH_MODE === 'none' && !isLoopback(config.HOST);
  if (unauthenticatedOnNetwork && !config.AUTH_ALLOW_UNAUTHENTICATED) {
    throw new ConfigError(
      `Invalid configuration:\n  HOST: ${config.HOST} is not a loopback address, and AUTH_MODE=none identifies nobody. ` +
        'Listen on 127.0.0.1, or set AUTH_ALLOW_UNAUTHENTICATED=true to accept that anyone who can reach it may deploy.',
    );
  }
  const { authenticator, permissions, tokens } = await loadSecurity(config);
  const path = resolve(config.MANIFEST_REPO_PATH ?? DEFAULT_MANIFEST_REPO_PATH);
  const remote =
    config.MANIFEST_REPO_URL === undefined
      ? undefined
      : new Remote({
          repoPath: path,
          url: config.MANIFEST_REPO_URL,
          branch: config.MANIFEST_REPO_BRANCH,
          timeoutMs: config.GIT_REMOTE_TIMEOUT_SECONDS * 1000,
        });
  const prepared = remote ? await prepareClone(remote) : undefined;
  const repo = createManifestRepository({
    path,
    branch: config.MANIFEST_REPO_BRANCH,
    remote,
    // Told only while requests run, when `app` exists.
    warn: (details, message) => app.log.warn(details, message),
  });
  const opened = remote ? undefined : await repo.open();
  const created = opened?.created ?? false;
  const app = await buildApp({
    repo,
    logger: { level: config.LOG_LEVEL },
    releaseMaxBytes: config.RELEASE_MAX_BYTES,
    releasesKept: config.RELEASES_KEPT,
    remoteSync: {
      fetchIntervalMs: config.MANIFEST_REPO_FETCH_INTERVAL_SECONDS * 1000,
      pushAttempts: config.MANIFEST_REPO_PUSH_ATTEMPTS,
    },
    authenticator,
    permissions,
    writesPerMinute: config.RATE_LIMIT_WRITES_PER_MINUTE,
    httpTimeouts: {
      headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    },
    ui: {
      sessionSecret: config.UI_SESSION_SECRET,
      sessionHours: config.UI_SESSION_HOURS,
      publicUrl: config.PUBLIC_URL,
      oidc:
        config.OIDC_ISSUER && config.OIDC_CLIENT_ID
          ? new OidcSignIn({
              issuer: config.OIDC_ISSUER,
              clientId: config.OIDC_CLIENT_ID,
              clientSecret: config.OIDC_CLIENT_SECRET,
              emailClaim: config.OIDC_EMAIL_CLAIM,
              groupsClaim: config.OIDC_GROUPS_CLAIM,
            })
          : undefined,
    },
  });
  tokens?.onReloadError((err) =>
    app.log.error({ err }, 'the tokens file is unusable; no token is valid until it is fixed'),
  );
  if (remote && prepared) {
    const { action, removedStaleFiles, corruption, fetchError } = prepared;
    app.log.info(
      { path, remote: remote.displayUrl, action, removedStaleFiles, corruption },
      'manifest repo clone ready',
    );
    if (fetchError)
      app.log.warn({ err: fetchError }, 'the remote cannot be fetched now; serving the clone as it is');
  }
  if (opened && opened.removedStaleFiles.length > 0) {
    app.log.info(
      { path, removedStaleFiles: opened.removedStaleFiles },
      'removed what killed processes left in the manifest repo',
    );
  }
  // Only the embedded default is seeded; a configured repo is the user's own.
  if (created && config.MANIFEST_REPO_PATH === undefined) {
    const commitId = await seedDemo(repo, new Date());
    app.log.info({ path: repo.path, commitId }, 'created the default manifest repo with a demo');
  }

  if (authModes(config).includes('oidc') && !config.RBAC_POLICY_FILE) {
    app.log.warn(
      'OIDC_ALLOW_ANY_IDENTITY=true without RBAC_POLICY_FILE: every identity the issuer vouches for may write',
    );
  }
  if (config.AUTH_MODE !== 'none' && config.UI_SESSION_SECRET === undefined) {
    app.log.warn(
      'UI_SESSION_SECRET is not set: the web UI signs its sessions with a key of this process, so sign-ins end when it restarts and do not carry over to other replicas',
    );
  }
  if (unauthenticatedOnNetwork) {
    app.log.warn(
      { host: config.HOST },
      'AUTH_MODE=none on a non-loopback address: anyone who can reach it may deploy',
    );
  }

  // Long enough for the longest write in flight (a push may take the git timeout, times attempts).
  const graceMs = shutdownGraceMs(config);
  closeWithGrace({ delay: graceMs }, async ({ signal, err }) => {
    const graceSeconds = Math.ceil(graceMs / 1000);
    if (err) app.log.error({ err, graceSeconds }, 'stopping after an unexpected error');
    else app.log.info({ signal, graceSeconds }, 'stopping');
    // New requests get 503 while the ones in flight (a train and its commit) finish. A keep-alive
    // connection that served one stays open after its answer, so idle ones are closed as they appear.
    const idleConnections = setInterval(() => app.server.closeIdleConnections(), 100);
    await app.close();
    clearInterval(idleConnections);
    repo.close();
  });
  if (config.LOG_LEVEL === 'trace') {
    observeGitCommands(({ repoPath, args, code, durationMs, timedOut }) =>
      app.log.trace({ repoPath, args, code, durationMs, timedOut }, 'git command finished'),
    );
  }
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  // The one line that says what this process serves, for whoever reads the log first.
  app.log.info(
    {
      repository: remote ? remote.displayUrl : path,
      path,
      branch: config.MANIFEST_REPO_BRANCH,
      authMode: config.AUTH_MODE,
      address,
      port: (app.server.address() as AddressInfo).port,
      git: gitVersion,
      graceSeconds: Math.ceil(graceMs / 1000),
    },
    `Trainyard serves ${remote ? remote.displayUrl : path} (branch ${config.MANIFEST_REPO_BRANCH}) at ${address} with AUTH_MODE=${config.AUTH_MODE}`,
  );
}

/** The identity and permission settings; a malformed file stops the service with its line. */
async function loadSecurity(config: Config) {
  const modes = authModes(config);
  const read = async (variable: string, file: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration:\n  ${variable}: cannot read ${file}: ${(error as Error).message}`,
      );
    }
  };
  const fileProblem = (variable: string, error: unknown): never => {
    if (error instanceof TokensFileError || error instanceof PolicyError || error instanceof TeamsFileError) {
      throw new ConfigError(`Invalid configuration:\n  ${variable}: ${error.message}`);
    }
    throw error;
  };
  let tokens: TokenStore | undefined;
  if (modes.includes('token') && config.AUTH_TOKENS_FILE) {
    tokens = new TokenStore(resolve(config.AUTH_TOKENS_FILE));
    await read('AUTH_TOKENS_FILE', tokens.path);
    await tokens.load().catch((error) => fileProblem('AUTH_TOKENS_FILE', error));
  }
  const oidc =
    modes.includes('oidc') && config.OIDC_ISSUER && config.OIDC_AUDIENCE
      ? new OidcVerifier({
          issuer: config.OIDC_ISSUER,
          audience: config.OIDC_AUDIENCE,
          jwksUrl: config.OIDC_JWKS_URL,
          groupsClaim: config.OIDC_GROUPS_CLAIM,
          emailClaim: config.OIDC_EMAIL_CLAIM,
        })
      : undefined;
  const parsed = async <T>(
    variable: string,
    file: string | undefined,
    parse: (text: string, file: string) => T,
  ) => {
    if (!file) return undefined;
    const text = await read(variable, file);
    try {
      return parse(text, file);
    } catch (error) {
      return fileProblem(variable, error);
    }
  };
  const policy = await parsed('RBAC_POLICY_FILE', config.RBAC_POLICY_FILE, parsePolicy);
  const teams = await parsed('TEAMS_FILE', config.TEAMS_FILE, parseTeamsFile);
  return {
    authenticator: new Authenticator(tokens, oidc),
    permissions: new Permissions(policy, teams),
    tokens,
  };
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError ? error.message : `Trainyard could not start: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
