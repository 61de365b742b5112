// buildApp: the Fastify instance with every route; it never listens (server.ts does).
import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  type ConnectionError,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { Authenticator, UnauthenticatedError } from './auth/authenticator.js';
import { Permissions } from './auth/permissions.js';
import { AppError, type ErrorCode } from './domain/errors.js';
import { ERROR_STATUS } from './http/errorStatus.js';
import { transformOpenApiObject } from './http/openapiDocument.js';
import type { ManifestRepository } from './manifest/repository.js';
import { Metrics } from './metrics.js';
import { deploymentRoutes } from './routes/deployments.js';
import { environmentRoutes } from './routes/environments.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { lockRoutes } from './routes/locks.js';
import { lookupRoutes } from './routes/lookups.js';
import { MULTIPART_COUNT_LIMITS } from './routes/multipartForm.js';
import { releaseRoutes } from './routes/releases.js';
import { releaseTrainRoutes } from './routes/releaseTrains.js';
import type { ErrorResponse } from './schemas/error.js';
import { unknownNames } from './schemas/strict.js';
import { HistoryService } from './services/history.js';
import { LookupService } from './services/lookups.js';
import { LOCAL_RETRIES, ManifestWriter, remoteRetries } from './services/manifestWriter.js';
import { OverviewService } from './services/overview.js';
import { ReadinessService } from './services/readiness.js';
import { ReleaseTrainService } from './services/releaseTrains.js';
import { WriteQueue } from './services/writeQueue.js';
import { ManifestWrites } from './services/writes.js';

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
}

/**
 * Bounds on slow clients (slowloris): the headers must have arrived within headersTimeoutMs, the
 * whole request, body included, within requestTimeoutMs (a release upload over a slow link must
 * fit); else 408 and the connection is closed. The time a write then takes is not bounded here.
 */
export interface HttpTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 30_000, requestTimeoutMs: 300_000 };

/** What anyone may ask without an identity (probes, the API description). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/openapi.json']);

export interface RemoteSyncOptions {
  readonly fetchIntervalMs: number;
  readonly pushAttempts: number;
}

/** Commits between two runs of git maintenance (each fast-import write adds a small pack). */
const COMMITS_PER_MAINTENANCE = 100;

/** Longer path parameters are refused by the router (a short 400); shorter ones reach validation. */
const MAX_PARAM_LENGTH = 2048;
/** How much of an unknown path a 404 repeats. */
const SHOWN_PATH_LENGTH = 100;

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'] as const;

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
}: AppDependencies) {
  const app = Fastify({
    logger,
    bodyLimit: 1024 * 1024,
    requestTimeout: httpTimeouts.requestTimeoutMs,
    http: {
      headersTimeout: httpTimeouts.headersTimeoutMs,
      // Node checks the bounds only this often (30 s by default): often enough to keep them.
      connectionsCheckingInterval: Math.min(1000, httpTimeouts.headersTimeoutMs / 2),
    },
    // Long path parameters reach validation (400 naming the rule); longer ones are a short 400.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What the router and Node's HTTP parser refuse answers in the API's error shape too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      answerError(error, request, reply);
    },
    clientErrorHandler: answerClientError,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  acceptEmptyJsonBodies(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('preValidation', checkQueryKeys);
  app.decorateRequest('caller', null);
  if (authenticator.required) {
    app.addHook('onRequest', async (request) => {
      if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
      request.caller = await authenticator.authenticate(request.headers);
    });
  }
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const shown =
      path.length > SHOWN_PATH_LENGTH
        ? `${path.slice(0, SHOWN_PATH_LENGTH)}… (${path.length} characters)`
        : path;
    return reply.code(404).send(errorBody(404, 'NOT_FOUND', `No route ${request.method} ${shown}.`));
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Trainyard',
        description: 'Release trains over a git manifest repo, compatible with Kuberpult.',
        version: '0.1.0',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: transformOpenApiObject,
  });

  const methodsByUrl = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of methods) known.add(method);
    methodsByUrl.set(route.url, known);
  });

  if (writesPerMinute > 0) {
    await app.register(fastifyRateLimit, {
      max: writesPerMinute,
      timeWindow: 60_000,
      // After authentication (onRequest), so that the limit is per verified identity (else per
      // address), and before the body is read: a limited caller costs no parsing.
      hook: 'preParsing',
      allowList: (request) => request.method === 'GET' || request.method === 'HEAD',
      keyGenerator: (request) => (request.caller ? `caller:${request.caller.email}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `Too many writes; try again in ${context.after}.`),
    });
  }

  // Bodies are read into text fields by readMultipartForm, on the routes that take them.
  await app.register(fastifyMultipart, {
    defCharset: 'latin1',
    limits: MULTIPART_COUNT_LIMITS,
  });

  const queue = new WriteQueue();
  // On shutdown the write that runs finishes; those still waiting get 503 (the grace covers one write).
  app.addHook('preClose', async () => queue.close());
  const metrics = new Metrics(() => queue.depth);
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      // One line per write with what it was about and how it ended (the request id is on every line).
      request.log.info(
        {
          route: request.routeOptions.url,
          target: request.params,
          statusCode: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime),
        },
        'write finished',
      );
    }
    metrics.requestFinished(
      request.method,
      request.routeOptions.url ?? 'unknown',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  const writer = new ManifestWriter(repo, queue, {
    clock,
    onRetry: () => metrics.writeRetried(),
    retries: repo.remote ? remoteRetries(remoteSync.pushAttempts) : LOCAL_RETRIES,
    maintenance: {
      commitsPerMaintenance: COMMITS_PER_MAINTENANCE,
      onMaintenanceError: (err) => app.log.warn({ err }, 'git maintenance failed'),
    },
    onAfterCommitError: (err, commitId) =>
      app.log.error(
        { err, commitId },
        "committed, then keeping the next snapshot or moving the clone's refs failed: answered as done",
      ),
  });
  if (repo.remote) keepFetching(app, repo, queue, remoteSync.fetchIntervalMs);
  const writes = new ManifestWrites(writer, repo, permissions);
  const trains = new ReleaseTrainService(writer, repo, metrics, permissions);
  // Ready while the clone is fresh: a few missed background fetches are tolerated.
  const readiness = new ReadinessService(
    repo,
    3 * remoteSync.fetchIntervalMs + (repo.remote?.timeoutMs ?? 0),
  );
  await app.register(releaseTrainRoutes, { trains });
  await app.register(lockRoutes, { writes });
  await app.register(environmentRoutes, { writes });
  await app.register(releaseRoutes, { writes, releaseMaxBytes });
  await app.register(deploymentRoutes, { writes, overview: new OverviewService(repo) });
  await app.register(historyRoutes, { history: new HistoryService(repo) });
  await app.register(lookupRoutes, { lookups: new LookupService(repo) });
  await app.register(healthRoutes, { readiness });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  addMethodNotAllowedRoutes(app, methodsByUrl);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

/**
 * Between writes the clone is fetched now and then, so reads (prognoses, overview) follow what
 * other replicas wrote. Skipped while writes are queued: each of them fetches anyway.
 */
function keepFetching(app: FastifyInstance, repo: ManifestRepository, queue: WriteQueue, intervalMs: number) {
  let failing = false;
  const timer = setInterval(() => {
    if (queue.depth > 0) return;
    queue
      .run(() => repo.sync())
      .then(
        () => {
          if (failing) app.log.info('fetching the manifest repo works again');
          failing = false;
        },
        (err: unknown) => {
          // Logged once per outage, not every interval.
          if (!failing) app.log.warn({ err }, 'fetching the manifest repo failed');
          failing = true;
        },
      );
  }, intervalMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/**
 * The query holds only the keys of the route's schema, each at most once: `?tem=shop` (a typo of
 * team) and `?team=a&team=b` are 400s naming the key, on every route. The hidden routes (405
 * answers, /metrics, /openapi.json) take any query.
 */
async function checkQueryKeys(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema;
  const query = request.query as Record<string, unknown> | undefined;
  if (!schema || schema.hide || !query) return;
  const known = (schema.querystring as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  const unknown = Object.keys(query).filter((key) => !Object.hasOwn(known, key));
  if (unknown.length > 0) {
    const takes = Object.keys(known);
    throw new AppError(
      'INVALID_INPUT',
      `Invalid input: querystring: ${unknownNames('query parameter', unknown)}; ` +
        (takes.length > 0 ? `this route takes ${takes.join(', ')}.` : 'this route takes none.'),
    );
  }
  for (const key of Object.keys(known)) {
    if (Array.isArray(query[key])) {
      throw new AppError('INVALID_INPUT', `The query parameter '${key}' must be given at most once.`);
    }
  }
}

/** Every error the API answers: logged with the request, sent in the error shape of http-api.md. */
function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { statusCode, code, message } = describeError(error);
  if (statusCode >= 500) request.log.error({ err: error, code }, 'request failed');
  else request.log.info({ code, message }, 'request rejected');
  const details = error instanceof AppError ? error.details : undefined;
  if (error instanceof AppError) {
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    if (error instanceof UnauthenticatedError) reply.header('www-authenticate', error.challenge);
  }
  return reply
    .code(statusCode)
    .send({ ...errorBody(statusCode, code, message), ...(details ? { details } : {}) });
}

/**
 * What Node's HTTP parser refuses before there is a request (headers too large, a request that
 * took too long to arrive, bytes that are not HTTP): the error shape with a code, then the
 * connection is closed.
 */
function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, code, message]: [number, ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', `The request line and headers are larger than ${maxHeaderSize} bytes.`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request did not arrive in time.']
        : [400, 'INVALID_INPUT', 'The request is not valid HTTP.'];
  this.log.debug({ err: error, code }, 'connection refused before a request');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(statusCode, code, message));
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** A known path asked with another method is a 405 naming the allowed ones, not a 404. */
function addMethodNotAllowedRoutes(app: FastifyInstance, methodsByUrl: Map<string, Set<string>>): void {
  for (const [url, known] of [...methodsByUrl]) {
    const missing = METHODS.filter((method) => !known.has(method));
    if (missing.length === 0) continue;
    const allowed = METHODS.filter((method) => known.has(method)).join(', ');
    app.route({
      method: missing,
      url,
      schema: { hide: true },
      handler: (request, reply) =>
        reply
          .code(405)
          .header('allow', allowed)
          .send(
            errorBody(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allowed}.`),
          ),
    });
  }
}

/** A train's body may be empty even with a JSON content type (Kuberpult's clients send that). */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Every body the API takes is JSON (or, later, multipart); anything else is a 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    parseJson(request, body.toString(), done);
  });
}

function describeError(error: FastifyError): { statusCode: number; code: ErrorCode; message: string } {
  if (error instanceof AppError) {
    const statusCode = ERROR_STATUS[error.code];
    const message =
      statusCode >= 500 && error.code === 'INTERNAL_ERROR' ? 'Internal server error.' : error.message;
    return { statusCode, code: error.code, message };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return { statusCode: 400, code: 'INVALID_INPUT', message: validationMessage(error) };
  }
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        statusCode: 400,
        code: 'INVALID_INPUT',
        message: `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`,
      };
    case 'FST_ERR_BAD_URL':
      return { statusCode: 400, code: 'INVALID_INPUT', message: 'The path is not valid URL encoding.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        statusCode: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Send JSON (Content-Type: application/json).',
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, code: 'BODY_TOO_LARGE', message: 'The request body is too large.' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, code: 'INVALID_JSON', message: 'The request body is not valid JSON.' };
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return { statusCode: 400, code: 'INVALID_JSON', message: 'The request body is not valid JSON.' };
  }
  if (error.statusCode === 413) {
    return { statusCode: 413, code: 'BODY_TOO_LARGE', message: 'The request body is too large.' };
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return { statusCode: error.statusCode, code: 'INVALID_INPUT', message: error.message };
  }
  return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error.' };
}

function validationMessage(error: FastifyError): string {
  const issues = (error.validation ?? []).map((issue) => {
    // The body itself (instancePath '/') is named without a trailing dot.
    const path = issue.instancePath === '/' ? '' : issue.instancePath.replace(/\//g, '.');
    const where = `${error.validationContext ?? 'request'}${path}`;
    return `${where}: ${issue.message ?? 'invalid'}`;
  });
  return issues.length > 0 ? `Invalid input: ${issues.join('; ')}` : error.message;
}

function errorBody(statusCode: number, code: string, message: string): ErrorResponse {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code };
}
