// Lifecycle routes (lifecycle.md): the undeploy version, removing an app for good or from one
// environment, and the one-off cleanup of old releases. Validate, call the service, map the result.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth/authenticator.js';
import { onlyJson } from '../http/contentTypes.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import {
  ApplicationDeletionSchema,
  ApplicationRemovalSchema,
  LifecycleBodySchema,
  ReleaseCleanupPreviewSchema,
  ReleaseCleanupResponseSchema,
  UndeployVersionResponseSchema,
} from '../schemas/lifecycle.js';
import { ApplicationNameSchema, EnvironmentNameSchema } from '../schemas/names.js';
import type { LifecycleService } from '../services/lifecycle.js';

const writeErrors = {
  400: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
  500: ErrorResponseSchema,
  503: ErrorResponseSchema,
};

export const lifecycleRoutes: FastifyPluginAsyncZod<{ lifecycle: LifecycleService }> = async (
  app,
  { lifecycle },
) => {
  app.post(
    '/api/applications/:app/undeploy',
    {
      preValidation: onlyJson,
      schema: {
        summary: 'Create the undeploy version of an app: its last release, deployed like any other',
        description:
          'Release latest + 1 with an empty `undeploy` file and a manifests.yaml of a single space for every ' +
          'environment; deployed to the environments with upstream.latest (queued where locked), then carried ' +
          'by trains like any version. 409 ALREADY_UNDEPLOYED when the latest release is an undeploy version. ' +
          'Needs CreateUndeploy on every environment, for the app.',
        tags: ['applications'],
        params: z.object({ app: ApplicationNameSchema }),
        body: LifecycleBodySchema,
        response: { 201: UndeployVersionResponseSchema, ...writeErrors, 415: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const { app: application } = request.params;
      const { result, commitId } = await lifecycle.createUndeployVersion(application, {
        caller: callerOf(request),
        requestId: request.id,
        ciLink: request.body?.ciLink,
      });
      return reply.code(201).send({
        application,
        version: result.version,
        // A new release always changes the tree.
        commitId: commitId as string,
        deployedTo: [...result.deployedTo],
        queuedIn: [...result.queuedIn],
      });
    },
  );

  app.delete(
    '/api/applications/:app',
    {
      schema: {
        summary: 'Remove an app for good, once it runs its undeploy version wherever it is deployed',
        description:
          'Removes applications/<app>/ and environments/*/applications/<app>/ (locks included) in one commit. ' +
          '409 APP_STILL_DEPLOYED (details.environments) while its latest release is no undeploy version, or ' +
          'an environment runs another version. Needs DeployUndeploy on every environment, for the app.',
        tags: ['applications'],
        params: z.object({ app: ApplicationNameSchema }),
        response: { 200: ApplicationDeletionSchema, ...writeErrors },
      },
    },
    async (request) => {
      const { app: application } = request.params;
      const { result, commitId } = await lifecycle.deleteApplication(application, {
        caller: callerOf(request),
        requestId: request.id,
      });
      return { application, environments: [...result.environments], commitId: commitId as string };
    },
  );

  app.delete(
    '/api/environments/:env/applications/:app',
    {
      schema: {
        summary: 'Remove an app from one environment (its directory there, locks included)',
        description:
          'Idempotent: 200 with commitId null when the app is not there. Needs DeleteEnvironmentApplication ' +
          'on the environment, for the app.',
        tags: ['applications'],
        params: z.object({ env: EnvironmentNameSchema, app: ApplicationNameSchema }),
        response: { 200: ApplicationRemovalSchema, ...writeErrors },
      },
    },
    async (request) => {
      const { env: environment, app: application } = request.params;
      const { commitId } = await lifecycle.deleteApplicationFromEnvironment(environment, application, {
        caller: callerOf(request),
        requestId: request.id,
      });
      return { environment, application, commitId };
    },
  );

  app.get(
    '/api/releases/cleanup',
    {
      schema: {
        summary: 'What POST /api/releases/cleanup would remove now (writes nothing)',
        tags: ['releases'],
        response: { 200: ReleaseCleanupPreviewSchema, 500: ErrorResponseSchema },
      },
    },
    async () => toCleanupView(await lifecycle.previewCleanup()),
  );

  app.post(
    '/api/releases/cleanup',
    {
      preValidation: onlyJson,
      schema: {
        summary: "Remove every app's old releases in one commit, as each app's next deployment would",
        description:
          "For a repo that grew without retention: the releases below each app's kept range (RELEASES_KEPT) go " +
          'at once, at a time the operator chooses. Needs DeployRelease on every environment, for each app it ' +
          'removes releases of.',
        tags: ['releases'],
        body: LifecycleBodySchema,
        response: { 200: ReleaseCleanupResponseSchema, ...writeErrors, 415: ErrorResponseSchema },
      },
    },
    async (request) => {
      const { result, commitId } = await lifecycle.cleanupReleases({
        caller: callerOf(request),
        requestId: request.id,
        ciLink: request.body?.ciLink,
      });
      return { ...toCleanupView(result), commitId };
    },
  );
};

function toCleanupView(result: {
  readonly releasesKept: number;
  readonly removed: ReadonlyMap<string, readonly number[]>;
}): z.infer<typeof ReleaseCleanupPreviewSchema> {
  let removedReleases = 0;
  const removed: Record<string, number[]> = {};
  for (const [app, versions] of result.removed) {
    removed[app] = [...versions];
    removedReleases += versions.length;
  }
  return { releasesKept: result.releasesKept, removedReleases, removed };
}
