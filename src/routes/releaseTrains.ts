// Release train and prognosis routes: validate, call the service, map the result.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth/authenticator.js';
import { onlyJson } from '../http/contentTypes.js';
import { approvedPlanIds, entityTag, noneMatchHits } from '../http/entityTags.js';
import { plainJsonSerializer } from '../http/plainJson.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import { EnvironmentNameSchema, GroupNameSchema, TargetNameSchema } from '../schemas/names.js';
import {
  PlanChangedResponseSchema,
  PrognosisHeadersSchema,
  PrognosisQuerySchema,
  PrognosisResponseSchema,
  TrainBodySchema,
  TrainHeadersSchema,
  TrainQuerySchema,
  TrainResponseSchema,
} from '../schemas/releaseTrain.js';
import { toEnvsPrognoses } from '../services/prognosisView.js';
import type { ReleaseTrainService, TargetType } from '../services/releaseTrains.js';

export interface ReleaseTrainRoutesOptions {
  readonly trains: ReleaseTrainService;
}

const errorResponses = {
  400: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
  415: ErrorResponseSchema,
  500: ErrorResponseSchema,
  503: ErrorResponseSchema,
};

const trainTargets: {
  url: string;
  param: string;
  name: z.ZodType<string>;
  targetType: TargetType;
  summary: string;
}[] = [
  {
    url: '/api/environments/:env/releasetrain',
    param: 'env',
    name: EnvironmentNameSchema,
    targetType: 'environment',
    summary: 'Run a release train to one environment',
  },
  {
    url: '/api/environment-groups/:group/releasetrain',
    param: 'group',
    name: GroupNameSchema,
    targetType: 'environmentGroup',
    summary: 'Run a release train to every environment of a group',
  },
  {
    url: '/environments/:target/releasetrain',
    param: 'target',
    name: TargetNameSchema,
    targetType: 'unknown',
    summary: "Run a release train (Kuberpult's older path): a group of that name, else an environment",
  },
];

const prognosisTargets: typeof trainTargets = [
  {
    url: '/api/environments/:target/releasetrain/prognosis',
    param: 'target',
    name: TargetNameSchema,
    targetType: 'unknown',
    summary: 'What a release train would do: a group of that name, else an environment',
  },
  {
    url: '/api/environment-groups/:group/releasetrain/prognosis',
    param: 'group',
    name: GroupNameSchema,
    targetType: 'environmentGroup',
    summary: 'What a release train to every environment of a group would do',
  },
];

export const releaseTrainRoutes: FastifyPluginAsyncZod<ReleaseTrainRoutesOptions> = async (
  app,
  { trains },
) => {
  for (const { url, param, name, targetType, summary } of trainTargets) {
    app.put(
      url,
      {
        preValidation: onlyJson,
        serializerCompiler: plainJsonSerializer,
        schema: {
          summary,
          description:
            'The ETag header holds the id of the plan applied. With If-Match, the plan on the tip the train commits to must have that id (on every attempt, after a lost race too), else 412 PLAN_CHANGED and nothing is written.',
          tags: ['release trains'],
          params: z.object({ [param]: name }),
          querystring: TrainQuerySchema,
          headers: TrainHeadersSchema,
          body: TrainBodySchema,
          response: { 200: TrainResponseSchema, ...errorResponses, 412: PlanChangedResponseSchema },
        },
      },
      async (request, reply) => {
        const target = (request.params as Record<string, string>)[param] as string;
        const { team, gitTag, sourceGitTag } = request.query;
        const approved = approvedPlanIds(request.headers['if-match']);
        const result = await trains.train({
          target,
          targetType,
          team,
          gitTag,
          sourceGitTag,
          ciLink: request.body?.ciLink,
          ...(approved ? { approvedPlanIds: approved } : {}),
          requestId: request.id,
          caller: callerOf(request),
        });
        request.log.info(
          { target, targetType, team, commitId: result.commitId, planId: result.planId },
          result.commitId ? 'release train committed' : 'release train deployed nothing',
        );
        reply.header('etag', entityTag(result.planId));
        return {
          target,
          ...(team !== undefined ? { team } : {}),
          commitId: result.commitId,
          ...(gitTag !== undefined && result.commitId !== null ? { gitTag } : {}),
          planId: result.planId,
          envsPrognoses: toEnvsPrognoses(result.plan),
        };
      },
    );
  }

  for (const { url, param, name, targetType, summary } of prognosisTargets) {
    app.get(
      url,
      {
        serializerCompiler: plainJsonSerializer,
        schema: {
          summary,
          description:
            'The ETag header holds the plan id: a digest of the decisions (not of the commit), for If-None-Match here and If-Match on the train.',
          tags: ['release trains'],
          params: z.object({ [param]: name }),
          querystring: PrognosisQuerySchema,
          headers: PrognosisHeadersSchema,
          response: {
            200: PrognosisResponseSchema,
            304: z.null().describe('If-None-Match names the plan: it is the same'),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const target = (request.params as Record<string, string>)[param] as string;
        const { team, sourceGitTag, diff } = request.query;
        const { plan, planId } = await trains.prognosis({
          target,
          targetType,
          team,
          sourceGitTag,
          caller: callerOf(request),
        });
        reply.header('etag', entityTag(planId));
        if (noneMatchHits(request.headers['if-none-match'], planId)) return reply.code(304).send(null);
        const diffs = diff === 'true' ? await trains.manifestDiffs(plan) : undefined;
        return { envsPrognoses: toEnvsPrognoses(plan, diffs) };
      },
    );
  }
};
