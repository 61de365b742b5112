// Kuberpult's read endpoints (lifecycle.md "Looking things up"), used by its CLI's
// get-deployment-commit, get-commit-deployments and release --dry-run.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorResponseSchema } from '../schemas/error.js';
import {
  CommitDeploymentsSchema,
  CommitIdSchema,
  DeploymentCommitSchema,
  ReleaseManifestsParamsSchema,
  ReleaseManifestsSchema,
} from '../schemas/lookups.js';
import { ApplicationNameSchema, EnvironmentNameSchema } from '../schemas/names.js';
import type { LookupService } from '../services/lookups.js';

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 500: ErrorResponseSchema };

export const lookupRoutes: FastifyPluginAsyncZod<{ lookups: LookupService }> = async (app, { lookups }) => {
  app.get(
    '/api/environments/:env/applications/:app/commit',
    {
      schema: {
        summary: 'The source commit of the version of an app deployed in an environment',
        description: '404 NOT_DEPLOYED when the app has no version there.',
        tags: ['lookups'],
        params: z.object({ env: EnvironmentNameSchema, app: ApplicationNameSchema }),
        response: { 200: DeploymentCommitSchema, ...errors },
      },
    },
    async (request) => lookups.deploymentCommit(request.params.env, request.params.app),
  );

  app.get(
    '/api/commit-deployments/:commitId',
    {
      schema: {
        summary: 'Where the releases built from a commit are deployed, and where they are still pending',
        description:
          'For every app with a release whose source_commit_id is the commit (any case): per existing ' +
          'environment that such a release has a manifest for, DEPLOYED when the deployed version is at ' +
          "least the first such release, else PENDING. No such release: an empty map. Protobuf JSON of Kuberpult's GetCommitDeploymentInfoResponse.",
        tags: ['lookups'],
        params: z.object({ commitId: CommitIdSchema }),
        response: { 200: CommitDeploymentsSchema, 400: ErrorResponseSchema, 500: ErrorResponseSchema },
      },
    },
    async (request) => lookups.commitDeployments(request.params.commitId),
  );

  for (const url of [
    '/api/application/:app/release/:version/manifests',
    // Kuberpult's newer form of the same path.
    '/api/application/:app/release/manifests/:version',
  ]) {
    app.get(
      url,
      {
        schema: {
          summary: 'A release and its manifests per environment',
          description:
            "Go's encoding/json of Kuberpult's GetManifestsResponse (snake_case; source fields the release does not have are left out).",
          tags: ['lookups'],
          params: ReleaseManifestsParamsSchema,
          response: { 200: ReleaseManifestsSchema, ...errors },
        },
      },
      async (request) => lookups.releaseManifests(request.params.app, request.params.version),
    );
  }
};
