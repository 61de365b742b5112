// RATE_LIMIT_WRITES_PER_MINUTE: writes per caller and minute; reads are never limited.
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';

export async function limitWrites(app: FastifyInstance, writesPerMinute: number): Promise<void> {
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
