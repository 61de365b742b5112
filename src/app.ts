// buildApp: the composition of the service. The HTTP machinery (src/http) around the services
// (src/services) over one repository, and the routes that call them. It never listens (server.ts does).
import { randomBytes } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';
import { Authenticator } from './auth/authenticator.js';
import type { OidcSignIn } from './auth/oidcSignIn.js';
import { Permissions } from './auth/permissions.js';
import { createFastify, DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from './http/fastify.js';
import { answerOtherMethodsWith405 } from './http/methodNotAllowed.js';
import { acceptMultipartForms } from './http/multipartForm.js';
import { serveOpenApiDocument } from './http/openapiDocument.js';
import { limitWrites } from './http/rateLimit.js';
import { observeRequests } from './http/requestLog.js';
import type { ManifestRepository } from './manifest/repository.js';
import { Metrics } from './metrics.js';
import { RELEASES_KEPT_DEFAULT } from './planning/retention.js';
import { deploymentRoutes } from './routes/deployments.js';
import { environmentRoutes } from './routes/environments.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { lockRoutes } from './routes/locks.js';
import { lookupRoutes } from './routes/lookups.js';
import { releaseRoutes } from './routes/releases.js';
import { releaseTrainRoutes } from './routes/releaseTrains.js';
import { ApplicationService } from './services/applications.js';
import { BackgroundFetch } from './services/backgroundFetch.js';
import { HistoryService } from './services/history.js';
import { LifecycleService } from './services/lifecycle.js';
import { LookupService } from './services/lookups.js';
import { LOCAL_RETRIES, ManifestWriter, remoteRetries } from './services/manifestWriter.js';
import { OverviewService } from './services/overview.js';
import { ReadinessService } from './services/readiness.js';
import { ReleaseTrainService } from './services/releaseTrains.js';
import { WriteQueue } from './services/writeQueue.js';
import { ManifestWrites } from './services/writes.js';
import { webUi } from './ui/webUi.js';

export interface AppDependencies {
  readonly repo: ManifestRepository;
  /** The most a release upload may hold, all fields and files together. */
  readonly releaseMaxBytes?: number;
  readonly clock?: () => Date;
  readonly logger?: FastifyServerOptions['logger'];
  /** With a remote: how often the clone is fetched between writes, and how writes retry a push. */
  readonly remoteSync?: RemoteSyncOptions;
  /** Who callers are (AUTH_MODE); default: the author-* headers, nothing verified. */
  readonly authenticator?: Authenticator;
  /** What callers may write (RBAC_POLICY_FILE, TEAMS_FILE); default: everything. */
  readonly permissions?: Permissions;
  /** Writes per caller and minute; 0: no limit. */
  readonly writesPerMinute?: number;
  /** How long a client may take to send a request; default: DEFAULT_HTTP_TIMEOUTS. */
  readonly httpTimeouts?: HttpTimeouts;
  /** RELEASES_KEPT: the retention rule of every commit that deploys (default 20). */
  readonly releasesKept?: number;
  /** The web UI's sessions and sign-in; default: a random secret, 8-hour sessions, no OIDC sign-in. */
  readonly ui?: UiOptions;
}

export interface UiOptions {
  /** Signs the UI's cookies (UI_SESSION_SECRET); default: random, for this process only. */
  readonly sessionSecret?: string;
  readonly sessionHours?: number;
  /** Signing people in with OIDC (OIDC_CLIENT_ID). */
  readonly oidc?: OidcSignIn;
  /** Where people reach the service (PUBLIC_URL). */
  readonly publicUrl?: string;
}

export interface RemoteSyncOptions {
  readonly fetchIntervalMs: number;
  readonly pushAttempts: number;
}

/**
 * Writes between two runs of git maintenance: each write (a batch of commits is one) is one
 * fast-import, which adds one small pack.
 */
const WRITES_PER_MAINTENANCE = 100;

export async function buildApp({
  repo,
  clock = () => new Date(),
  logger = false,
  releaseMaxBytes = 10 * 1024 * 1024,
  remoteSync = { fetchIntervalMs: 10_000, pushAttempts: 8 },
  authenticator = new Authenticator(),
  permissions = new Permissions(),
  writesPerMinute = 0,
  httpTimeouts = DEFAULT_HTTP_TIMEOUTS,
  releasesKept = RELEASES_KEPT_DEFAULT,
  ui = {},
}: AppDependencies) {
  const app = createFastify({ logger, httpTimeouts, authenticator });
  // Before any route: every path gets a 405 for the methods it does not take.
  const addMethodNotAllowedRoutes = answerOtherMethodsWith405(app);
  await serveOpenApiDocument(app);
  if (writesPerMinute > 0) await limitWrites(app, writesPerMinute);
  await acceptMultipartForms(app);

  const queue = new WriteQueue();
  // On shutdown the write that runs finishes; those still waiting get 503 (the grace covers one write).
  app.addHook('preClose', async () => queue.close());
  const metrics = new Metrics(
    () => queue.depth,
    () => repo.objectsRead,
  );
  observeRequests(app, metrics);

  const writer = new ManifestWriter(repo, queue, {
    clock,
    log: app.log,
    onRetry: () => metrics.writeRetried(),
    retries: repo.remote ? remoteRetries(remoteSync.pushAttempts) : LOCAL_RETRIES,
    maintenance: {
      writesPerMaintenance: WRITES_PER_MAINTENANCE,
      onMaintenanceError: (err) => app.log.warn({ err }, 'git maintenance failed'),
    },
    onAfterCommitError: (err, commitId) =>
      app.log.error(
        { err, commitId },
        "committed, then keeping the next snapshot or moving the clone's refs failed: answered as done",
      ),
  });
  if (repo.remote) {
    const fetching = new BackgroundFetch(repo, queue, remoteSync.fetchIntervalMs, app.log);
    fetching.start();
    app.addHook('onClose', async () => fetching.stop());
  }
  const writes = new ManifestWrites(writer, repo, permissions, releasesKept);
  const trains = new ReleaseTrainService(writer, repo, metrics, permissions, clock, releasesKept);
  const lifecycle = new LifecycleService(writer, repo, permissions, releasesKept);
  // Ready while the clone is fresh: a few missed background fetches are tolerated.
  const readiness = new ReadinessService(
    repo,
    3 * remoteSync.fetchIntervalMs + (repo.remote?.timeoutMs ?? 0),
  );

  const overview = new OverviewService(repo, clock);
  const history = new HistoryService(repo);

  await app.register(releaseTrainRoutes, { trains });
  await app.register(lockRoutes, { writes });
  await app.register(environmentRoutes, { writes });
  await app.register(releaseRoutes, { writes, releaseMaxBytes });
  await app.register(deploymentRoutes, { writes, overview });
  await app.register(historyRoutes, { history });
  await app.register(lookupRoutes, { lookups: new LookupService(repo) });
  await app.register(lifecycleRoutes, { lifecycle });
  await app.register(healthRoutes, { readiness });
  await app.register(webUi, {
    trains,
    writes,
    overview,
    history,
    applications: new ApplicationService(repo),
    authenticator,
    permissions,
    oidc: ui.oidc,
    sessionSecret: ui.sessionSecret ?? randomBytes(32).toString('base64url'),
    sessionLifetimeMs: (ui.sessionHours ?? 8) * 3_600_000,
    publicUrl: ui.publicUrl,
    clock,
  });
  addMethodNotAllowedRoutes();
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
