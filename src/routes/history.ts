// GET /api/history: who changed what, when, in which commit (security.md "Audit").
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import type { ManifestRepository } from '../manifest/repository.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import { HistoryQuerySchema, HistoryResponseSchema } from '../schemas/history.js';
import { readHistory } from '../services/history.js';

const QUERY_KEYS = Object.keys(HistoryQuerySchema.shape);

/** `?limit=1&limit=2` is a 400 that says so (unknown keys are ignored, repeated or not). */
async function onlyOnce(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const query = request.query as Record<string, unknown>;
  for (const key of QUERY_KEYS) {
    if (Array.isArray(query[key])) {
      throw new AppError('INVALID_INPUT', `The query parameter '${key}' must be given at most once.`);
    }
  }
}

export const historyRoutes: FastifyPluginAsyncZod<{ repo: ManifestRepository }> = async (app, { repo }) => {
  app.get(
    '/api/history',
    {
      preValidation: onlyOnce,
      schema: {
        summary:
          'The trains, lock changes, releases and deployments of the branch, newest first, from the git log',
        tags: ['history'],
        querystring: HistoryQuerySchema,
        response: { 200: HistoryResponseSchema, 400: ErrorResponseSchema, 500: ErrorResponseSchema },
      },
    },
    async (request) => readHistory(repo, request.query),
  );
};
