// GET /api/history: who changed what, when, in which commit (security.md "Audit").
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorResponseSchema } from '../schemas/error.js';
import { HistoryQuerySchema, HistoryResponseSchema } from '../schemas/history.js';
import type { HistoryService } from '../services/history.js';

export const historyRoutes: FastifyPluginAsyncZod<{ history: HistoryService }> = async (app, { history }) => {
  app.get(
    '/api/history',
    {
      schema: {
        summary:
          'The trains, lock changes, releases and deployments of the branch, newest first, from the git log',
        tags: ['history'],
        querystring: HistoryQuerySchema,
        response: { 200: HistoryResponseSchema, 400: ErrorResponseSchema, 500: ErrorResponseSchema },
      },
    },
    async (request) => history.read(request.query),
  );
};
