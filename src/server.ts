// The process shell: configuration -> repository -> app -> listen; graceful shutdown.
import { resolve } from 'node:path';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, DEFAULT_MANIFEST_REPO_PATH, isLoopback, loadConfig } from './config.js';
import { seedDemo } from './manifest/demoSeed.js';
import { createManifestRepository } from './manifest/repository.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // security.md: without authentication, only the machine itself may call the service.
  const unauthenticatedOnNetwork = config.AUTH_MODE === 'none' && !isLoopback(config.HOST);
  if (unauthenticatedOnNetwork && !config.AUTH_ALLOW_UNAUTHENTICATED) {
    throw new ConfigError(
      `Invalid configuration:\n  HOST: ${config.HOST} is not a loopback address, and AUTH_MODE=none identifies nobody. ` +
        'Listen on 127.0.0.1, or set AUTH_ALLOW_UNAUTHENTICATED=true to accept that anyone who can reach it may deploy.',
    );
  }
  const repo = createManifestRepository({
    path: resolve(config.MANIFEST_REPO_PATH ?? DEFAULT_MANIFEST_REPO_PATH),
    branch: config.MANIFEST_REPO_BRANCH,
  });
  const { created } = await repo.open();
  const app = await buildApp({
    repo,
    logger: { level: config.LOG_LEVEL },
    releaseMaxBytes: config.RELEASE_MAX_BYTES,
  });
  // Only the embedded default is seeded; a configured repo is the user's own.
  if (created && config.MANIFEST_REPO_PATH === undefined) {
    const commitId = await seedDemo(repo, new Date());
    app.log.info({ path: repo.path, commitId }, 'created the default manifest repo with a demo');
  }

  if (unauthenticatedOnNetwork) {
    app.log.warn(
      { host: config.HOST },
      'AUTH_MODE=none on a non-loopback address: anyone who can reach it may deploy',
    );
  }

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'stopping after an unexpected error');
    else app.log.info({ signal }, 'stopping');
    // New requests get 503 while the ones in flight (a train and its commit) finish. A keep-alive
    // connection that served one stays open after its answer, so idle ones are closed as they appear.
    const idleConnections = setInterval(() => app.server.closeIdleConnections(), 100);
    await app.close();
    clearInterval(idleConnections);
    repo.close();
  });
  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError ? error.message : `Trainyard could not start: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
