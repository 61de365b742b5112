// API shapes of release trains and prognoses. The prognosis is the protobuf JSON mapping of
// Kuberpult's GetReleaseTrainPrognosisResponse, with versions as JSON numbers.
import { z } from 'zod';
import { CiLinkSchema, GitTagNameSchema, TeamNameSchema } from './names.js';
import { optionalBody } from './optionalBody.js';
import { strictBody } from './strict.js';

export const LockSchema = z
  .object({
    lockId: z.string(),
    message: z.string(),
    createdAt: z.string().optional().describe('RFC 3339 UTC; absent when the lock has no valid created_at'),
    createdBy: z.object({ name: z.string(), email: z.string() }),
    ciLink: z.string().optional(),
    suggestedLifetime: z.string().optional(),
  })
  .meta({ id: 'Lock' });
export type LockView = z.infer<typeof LockSchema>;

export const AppSkipCauseSchema = z
  .enum([
    'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV',
    'APP_ALREADY_IN_UPSTREAM_VERSION',
    'APP_IS_LOCKED',
    'APP_DOES_NOT_EXIST_IN_ENV',
    'NO_TEAM_PERMISSION',
    'TEAM_IS_LOCKED',
  ])
  .meta({ id: 'AppSkipCause' });

export const EnvSkipCauseSchema = z
  .enum([
    'ENV_HAS_NO_UPSTREAM',
    'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV',
    'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV',
    'UPSTREAM_ENV_CONFIG_NOT_FOUND',
    'ENV_IS_LOCKED',
  ])
  .meta({ id: 'EnvSkipCause' });

export const AppPrognosisSchema = z
  .object({
    deployedVersion: z
      .object({
        version: z.number().int(),
        undeployVersion: z.literal(true).optional().describe('Present when it is an undeploy version'),
      })
      .optional()
      .describe('Present when the app is deployed'),
    skipCause: AppSkipCauseSchema.optional().describe('Present when the app is skipped'),
    appLocks: z.array(LockSchema).optional().describe('With APP_IS_LOCKED'),
    teamLocks: z.array(LockSchema).optional().describe('With TEAM_IS_LOCKED'),
  })
  .meta({ id: 'AppPrognosis' });

export const EnvPrognosisSchema = z
  .object({
    skipCause: EnvSkipCauseSchema.optional().describe('Present when the environment is skipped'),
    envLocks: z.record(z.string(), LockSchema).optional().describe('With ENV_IS_LOCKED, by lock id'),
    appsPrognoses: z
      .object({ prognoses: z.record(z.string(), AppPrognosisSchema) })
      .optional()
      .describe('Present when the environment is not skipped, by app name'),
  })
  .meta({ id: 'EnvPrognosis' });

export const EnvsPrognosesSchema = z.record(z.string(), EnvPrognosisSchema).describe('By environment name');
export type EnvsPrognoses = z.infer<typeof EnvsPrognosesSchema>;

export const PrognosisResponseSchema = z
  .object({ envsPrognoses: EnvsPrognosesSchema })
  .meta({ id: 'ReleaseTrainPrognosis' });

export const TrainResponseSchema = z
  .object({
    target: z.string(),
    team: z.string().optional(),
    commitId: z.string().nullable().describe('The commit of the train; null when it deployed nothing'),
    gitTag: z.string().optional(),
    envsPrognoses: EnvsPrognosesSchema.describe('Exactly the plan that was applied'),
  })
  .meta({ id: 'ReleaseTrainResult' });

export const TrainBodySchema = optionalBody(strictBody({ ciLink: CiLinkSchema.optional() })).describe(
  'Empty, or a JSON object',
);

// The prognosis takes every parameter that changes what the train deploys, so it previews exactly it.
export const PrognosisQuerySchema = z.object({
  team: TeamNameSchema.optional().describe("Only this team's apps"),
  sourceGitTag: GitTagNameSchema.optional().describe('Take the upstream versions as of this tag'),
});

export const TrainQuerySchema = PrognosisQuerySchema.extend({
  gitTag: GitTagNameSchema.optional().describe("Create this tag on the train's commit (no commit, no tag)"),
});
