import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth/authenticator.js';
import { AppError } from '../domain/errors.js';
import { jsonOrMultipart } from '../http/contentTypes.js';
import { readMultipartForm } from '../http/multipartForm.js';
import {
  EnvironmentConfigSchema,
  EnvironmentDeletionSchema,
  EnvironmentResponseSchema,
} from '../schemas/environments.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import { EnvironmentNameSchema } from '../schemas/names.js';
import type { ManifestWrites } from '../services/writes.js';

export const environmentRoutes: FastifyPluginAsyncZod<{ writes: ManifestWrites }> = async (
  app,
  { writes },
) => {
  for (const url of ['/api/environments/:env', '/environments/:env']) {
    app.post(
      url,
      {
        preValidation: [jsonOrMultipart, readMultipartForm(1024 * 1024), rememberBodyAsSent],
        schema: {
          summary: 'Create or replace an environment',
          description:
            'The body is the config.json content: a JSON body, or (as Kuberpult scripts send it) a multipart/form-data field `config`.',
          tags: ['environments'],
          params: z.object({ env: EnvironmentNameSchema }),
          body: EnvironmentConfigSchema,
          response: {
            200: EnvironmentResponseSchema.describe('Replaced'),
            201: EnvironmentResponseSchema.describe('Created'),
            400: ErrorResponseSchema,
            415: ErrorResponseSchema,
            500: ErrorResponseSchema,
            503: ErrorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        // Stored as sent: validation would put the known fields first.
        const config = request.isMultipart()
          ? parseConfigField(request.body)
          : (bodiesAsSent.get(request) ?? request.body);
        const { env } = request.params;
        const { result } = await writes.setEnvironment(env, config, {
          caller: callerOf(request),
          requestId: request.id,
        });
        return reply
          .code(result.created ? 201 : 200)
          .send({ environment: env, created: result.created, config });
      },
    );
  }

  app.delete(
    '/api/environments/:env',
    {
      schema: {
        summary: 'Delete an environment: its config, locks, team locks and deployed apps, in one commit',
        description:
          'Refused (409 ENVIRONMENT_IN_USE, listing them in details.environments) while another ' +
          "environment's upstream.environment names it. Release manifests for it stay in the releases.",
        tags: ['environments'],
        params: z.object({ env: EnvironmentNameSchema }),
        response: {
          200: EnvironmentDeletionSchema,
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          404: ErrorResponseSchema,
          409: ErrorResponseSchema,
          500: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { env } = request.params;
      const { commitId } = await writes.deleteEnvironment(env, {
        caller: callerOf(request),
        requestId: request.id,
      });
      return { environment: env, commitId };
    },
  );
};

/** Kuberpult's form: the config as JSON text in the field `config`. */
function parseConfigField(form: Record<string, unknown>): z.infer<typeof EnvironmentConfigSchema> {
  const { config, ...others } = form;
  if (typeof config !== 'string' || Object.keys(others).length > 0) {
    throw new AppError(
      'INVALID_INPUT',
      'The form must have exactly one field, `config`, holding the config JSON.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(config);
  } catch {
    throw new AppError('INVALID_JSON', 'The `config` field is not valid JSON.');
  }
  const result = EnvironmentConfigSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${['config', ...issue.path].join('.')}: ${issue.message}`,
    );
    throw new AppError('INVALID_INPUT', `Invalid input: ${problems.join('; ')}`);
  }
  return parsed as z.infer<typeof EnvironmentConfigSchema>;
}

const bodiesAsSent = new WeakMap<FastifyRequest, Record<string, unknown>>();

async function rememberBodyAsSent(request: FastifyRequest): Promise<void> {
  if (!request.isMultipart() && request.body && typeof request.body === 'object') {
    bodiesAsSent.set(request, request.body as Record<string, unknown>);
  }
}
