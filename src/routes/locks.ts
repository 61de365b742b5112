// Locks of all four kinds, on Kuberpult's paths (both forms of each).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth/authenticator.js';
import { onlyJson } from '../http/contentTypes.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import { LockBodySchema, LockStateSchema } from '../schemas/locks.js';
import {
  ApplicationNameSchema,
  EnvironmentNameSchema,
  GroupNameSchema,
  LockIdSchema,
  TeamNameSchema,
} from '../schemas/names.js';
import { toLockView } from '../services/prognosisView.js';
import type { LockTarget, ManifestWrites } from '../services/writes.js';

interface LockRoute {
  readonly urls: readonly string[];
  readonly kind: LockTarget['kind'];
  readonly params: z.ZodObject;
  readonly describe: string;
}

const LOCK_ROUTES: readonly LockRoute[] = [
  {
    urls: ['/api/environments/:env/locks/:lockId', '/environments/:env/locks/:lockId'],
    kind: 'environment',
    params: z.object({ env: EnvironmentNameSchema, lockId: LockIdSchema }),
    describe: 'an environment lock',
  },
  {
    urls: [
      '/api/environments/:env/applications/:app/locks/:lockId',
      '/environments/:env/applications/:app/locks/:lockId',
    ],
    kind: 'application',
    params: z.object({ env: EnvironmentNameSchema, app: ApplicationNameSchema, lockId: LockIdSchema }),
    describe: 'an application lock in one environment',
  },
  {
    urls: [
      '/api/environments/:env/teams/:team/locks/:lockId',
      '/api/environments/:env/lock/team/:team/:lockId',
    ],
    kind: 'team',
    params: z.object({ env: EnvironmentNameSchema, team: TeamNameSchema, lockId: LockIdSchema }),
    describe: 'a team lock in one environment',
  },
  {
    urls: ['/api/environment-groups/:group/locks/:lockId', '/environment-groups/:group/locks/:lockId'],
    kind: 'group',
    params: z.object({ group: GroupNameSchema, lockId: LockIdSchema }),
    describe: 'the same environment lock in every environment of a group, in one commit',
  },
];

function lockTarget(kind: LockTarget['kind'], params: Record<string, string>): LockTarget {
  const environment = params.env as string;
  switch (kind) {
    case 'environment':
      return { kind, environment };
    case 'application':
      return { kind, environment, app: params.app as string };
    case 'team':
      return { kind, environment, team: params.team as string };
    case 'group':
      return { kind, group: params.group as string };
  }
}

const errors = {
  400: ErrorResponseSchema,
  404: ErrorResponseSchema,
  415: ErrorResponseSchema,
  500: ErrorResponseSchema,
  503: ErrorResponseSchema,
};

export const lockRoutes: FastifyPluginAsyncZod<{ writes: ManifestWrites }> = async (app, { writes }) => {
  for (const { urls, kind, params, describe } of LOCK_ROUTES) {
    for (const url of urls) {
      app.put(
        url,
        {
          preValidation: onlyJson,
          schema: {
            summary: `Create or replace ${describe}`,
            tags: ['locks'],
            params,
            body: LockBodySchema,
            response: { 200: LockStateSchema, ...errors },
          },
        },
        async (request) => {
          const { lockId } = request.params as { lockId: string };
          const { result } = await writes.createLock(
            lockTarget(kind, request.params as Record<string, string>),
            { lockId, ...request.body },
            {
              caller: callerOf(request),
              requestId: request.id,
              ciLink: request.body.ciLink,
            },
          );
          return { ...toLockView(result.lock), inForce: result.inForce };
        },
      );
      app.delete(
        url,
        {
          schema: {
            summary: `Remove ${describe}; a queued version equal to the deployed one goes with it`,
            tags: ['locks'],
            params,
            response: { 204: z.null().describe('Removed'), ...errors },
          },
        },
        async (request, reply) => {
          const { lockId } = request.params as { lockId: string };
          await writes.deleteLock(lockTarget(kind, request.params as Record<string, string>), lockId, {
            caller: callerOf(request),
            requestId: request.id,
          });
          return reply.code(204).send(null);
        },
      );
    }
  }
};
