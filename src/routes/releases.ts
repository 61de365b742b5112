import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf } from '../auth/authenticator.js';
import { AppError } from '../domain/errors.js';
import { parseReleaseNumber } from '../domain/names.js';
import { onlyMultipart } from '../http/contentTypes.js';
import { readMultipartForm } from '../http/multipartForm.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import { EnvironmentNameSchema } from '../schemas/names.js';
import { MANIFEST_FIELD, ReleaseFormSchema, ReleaseResponseSchema } from '../schemas/releases.js';
import type { ManifestWrites } from '../services/writes.js';

/** Fields Kuberpult's clients send that Trainyard takes and ignores. */
const IGNORED_FIELDS = /^(previous_commit_id|revision|signatures\[.*\]|signature.*)$/;
const KNOWN_FIELDS = new Set(Object.keys(ReleaseFormSchema.shape));

export const releaseRoutes: FastifyPluginAsyncZod<{
  writes: ManifestWrites;
  releaseMaxBytes: number;
}> = async (app, { writes, releaseMaxBytes }) => {
  for (const url of ['/api/release', '/release']) {
    app.post(
      url,
      {
        preValidation: [onlyMultipart, readMultipartForm(releaseMaxBytes)],
        schema: {
          summary: 'Create a release; the newest one is deployed to every environment with upstream.latest',
          tags: ['releases'],
          consumes: ['multipart/form-data'],
          body: ReleaseFormSchema,
          response: {
            200: ReleaseResponseSchema.describe('The same release already exists'),
            201: ReleaseResponseSchema.describe('Created'),
            400: ErrorResponseSchema,
            409: ErrorResponseSchema,
            413: ErrorResponseSchema,
            415: ErrorResponseSchema,
            500: ErrorResponseSchema,
            503: ErrorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        const form = request.body;
        const manifests = new Map<string, Buffer>();
        for (const [field, value] of Object.entries(form)) {
          const environment = MANIFEST_FIELD.exec(field)?.[1];
          if (environment === undefined) {
            if (!KNOWN_FIELDS.has(field) && !IGNORED_FIELDS.test(field)) {
              throw new AppError('INVALID_INPUT', `Unknown field '${field}'.`);
            }
            continue;
          }
          if (!EnvironmentNameSchema.safeParse(environment).success) {
            throw new AppError(
              'INVALID_INPUT',
              `Field '${field}': '${environment}' is not a valid environment name.`,
            );
          }
          manifests.set(environment, Buffer.from(value as string, 'utf8'));
        }
        if (manifests.size === 0) {
          throw new AppError('INVALID_INPUT', 'A release needs at least one manifests[<environment>] field.');
        }
        let version: number | undefined;
        if (form.version) {
          version = parseReleaseNumber(form.version);
          if (version === undefined) {
            throw new AppError('INVALID_INPUT', "Field 'version' must be a release number from 1 to 2^53-1.");
          }
        }
        const { result } = await writes.createRelease(
          {
            app: form.application,
            version,
            team: form.team,
            manifests,
            sourceCommitId: form.source_commit_id,
            sourceAuthor: form.source_author,
            sourceMessage: form.source_message,
            displayVersion: form.display_version,
          },
          { caller: callerOf(request), requestId: request.id, ciLink: form.ci_link },
        );
        return reply
          .code(result.created ? 201 : 200)
          .send({ application: form.application, version: result.version });
      },
    );
  }
};
