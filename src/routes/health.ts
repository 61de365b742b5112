import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import type { ReadinessService } from '../services/readiness.js';

const StatusSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Status' });

export const healthRoutes: FastifyPluginAsyncZod<{ readiness: ReadinessService }> = async (
  app,
  { readiness },
) => {
  app.get(
    '/healthz',
    { schema: { summary: 'The process is alive', tags: ['operations'], response: { 200: StatusSchema } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The manifest repo can be read (and, with a remote, was fetched recently)',
        tags: ['operations'],
        response: { 200: StatusSchema, 503: ErrorResponseSchema },
      },
    },
    async () => {
      const problem = await readiness.unreadiness();
      if (problem !== undefined) throw new AppError('REPO_BUSY', problem);
      return { status: 'ok' as const };
    },
  );
};
