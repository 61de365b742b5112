// Release train and prognosis routes: validate, call the service, map the result.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth/authenticator.js';
import { onlyJson } from '../http/contentTypes.js';
import { ErrorResponseSchema } from '../schemas/error.js';
import { EnvironmentNameSchema, GroupNameSchema, TargetNameSchema } from '../schemas/names.js';
import {
  PrognosisQuerySchema,
  PrognosisResponseSchema,
  TrainBodySchema,
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
        schema: {
          summary,
          tags: ['release trains'],
          params: z.object({ [param]: name }),
          querystring: TrainQuerySchema,
          body: TrainBodySchema,
          response: { 200: TrainResponseSchema, ...errorResponses },
        },
      },
      async (request) => {
        const target = (request.params as Record<string, string>)[param] as string;
        const { team, gitTag, sourceGitTag } = request.query;
        const result = await trains.train({
          target,
          targetType,
          team,
          gitTag,
          sourceGitTag,
          ciLink: request.body?.ciLink,
          requestId: request.id,
          caller: callerOf(request),
        });
        request.log.info(
          { target, targetType, team, commitId: result.commitId },
          result.commitId ? 'release train committed' : 'release train deployed nothing',
        );
        return {
          target,
          ...(team !== undefined ? { team } : {}),
          commitId: result.commitId,
          ...(gitTag !== undefined && result.commitId !== null ? { gitTag } : {}),
          envsPrognoses: toEnvsPrognoses(result.plan),
        };
      },
    );
  }

  for (const { url, param, name, targetType, summary } of prognosisTargets) {
    app.get(
      url,
      {
        schema: {
          summary,
          tags: ['release trains'],
          params: z.object({ [param]: name }),
          querystring: PrognosisQuerySchema,
          response: { 200: PrognosisResponseSchema, ...errorResponses },
        },
      },
      async (request) => {
        const target = (request.params as Record<string, string>)[param] as string;
        const { team, sourceGitTag } = request.query;
        const plan = await trains.prognosis({
          target,
          targetType,
          team,
          sourceGitTag,
          caller: callerOf(request),
        });
        return { envsPrognoses: toEnvsPrognoses(plan) };
      },
    );
  }
};
