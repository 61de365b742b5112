import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { ManifestRepository } from '../manifest/repository.js';
import { ErrorResponseSchema } from '../schemas/error.js';

const StatusSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Status' });

export const healthRoutes: FastifyPluginAsyncZod<{ repo: ManifestRepository }> = async (app, { repo }) => {
  app.get(
    '/healthz',
    { schema: { summary: 'The process is alive', tags: ['operations'], response: { 200: StatusSchema } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The manifest repo can be read',
        tags: ['operations'],
        response: { 200: StatusSchema, 503: ErrorResponseSchema },
      },
    },
    async () => {
      if (!(await repo.isReadable())) throw new AppError('REPO_BUSY', 'The manifest repo cannot be read.');
      return { status: 'ok' as const };
    },
  );
};
