// The Fastify instance every route runs in: zod validation and serialization, bounds on slow
// clients, request ids, JSON bodies, the query-key check, authentication, and one error shape for
// everything it refuses. No route and no service: app.ts adds those.
import Fastify, { type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Authenticator } from '../auth/authenticator.js';
import { authenticateRequests } from './authentication.js';
import { answerClientError, answerError, answerNotFound, MAX_PARAM_LENGTH } from './errors.js';
import { acceptEmptyJsonBodies } from './jsonBodies.js';
import { checkQueryKeys } from './queryKeys.js';
import { answerRequestIds, requestIdOf } from './requestIds.js';

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

export function createFastify({
  logger,
  httpTimeouts,
  authenticator,
}: {
  readonly logger: FastifyServerOptions['logger'];
  readonly httpTimeouts: HttpTimeouts;
  readonly authenticator: Authenticator;
}) {
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
    genReqId: requestIdOf,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  acceptEmptyJsonBodies(app);
  answerRequestIds(app);
  app.addHook('preValidation', checkQueryKeys);
  authenticateRequests(app, authenticator);
  app.setErrorHandler(answerError);
  app.setNotFoundHandler(answerNotFound);
  return app;
}
