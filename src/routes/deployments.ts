import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth/authenticator.js';
import { onlyJson } from '../http/contentTypes.js';
import { DeploymentBodySchema, DeploymentResponseSchema } from '../schemas/deployments.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import { ApplicationNameSchema, EnvironmentNameSchema } from '../schemas/names.js';
import { OverviewSchema } from '../schemas/overview.js';
import type { OverviewService } from '../services/overview.js';
import type { ManifestWrites } from '../services/writes.js';

export const deploymentRoutes: FastifyPluginAsyncZod<{
  writes: ManifestWrites;
  overview: OverviewService;
}> = async (app, { writes, overview }) => {
  app.put(
    '/api/environments/:env/applications/:app/deployment',
    {
      preValidation: onlyJson,
      schema: {
        summary: 'Deploy one release of an app to one environment by hand',
        tags: ['deployments'],
        params: z.object({ env: EnvironmentNameSchema, app: ApplicationNameSchema }),
        body: DeploymentBodySchema,
        response: {
          200: DeploymentResponseSchema,
          400: ErrorResponseSchema,
          404: ErrorResponseSchema,
          409: ErrorResponseSchema.describe(
            'lockBehavior fail and a lock is in the way: details list the locks',
          ),
          415: ErrorResponseSchema,
          500: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { env, app: application } = request.params;
      const { version, lockBehavior } = request.body;
      const { outcome, commitId } = await writes.deploy(
        { environment: env, app: application, version, lockBehavior },
        { caller: callerOf(request), requestId: request.id },
      );
      return { environment: env, application, version, outcome, commitId };
    },
  );

  app.get(
    '/api/overview',
    {
      schema: {
        summary: 'Every environment (by group) with its config, locks and apps; every application',
        tags: ['overview'],
        response: { 200: OverviewSchema, 500: ErrorResponseSchema },
      },
    },
    async () => overview.read(),
  );
};
