// API shapes of release trains and prognoses. The prognosis is the protobuf JSON mapping of
// Kuberpult's GetReleaseTrainPrognosisResponse, with versions as JSON numbers.
import { z } from 'zod';
import { ErrorResponseSchema } from './error.js';
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
    validFrom: z.string().optional().describe('RFC 3339; a timed lock blocks only from then on'),
    validUntil: z.string().optional().describe('RFC 3339; a timed lock blocks only until then'),
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
    'ENV_OUTSIDE_DEPLOY_WINDOW',
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
    manifestDiff: z
      .string()
      .optional()
      .describe(
        'Only with ?diff=true, on a deployed app: unified diff (3 lines of context) from the manifest deployed now (empty when none) to the one the train writes; "" when they are the same',
      ),
    manifestDiffTruncated: z
      .literal(true)
      .optional()
      .describe(
        'Only with ?diff=true: the diff is cut (at 64 KiB, or empty once the diffs of the answer reach 4 MiB, or empty for a manifest over 1 MiB)',
      ),
  })
  .meta({ id: 'AppPrognosis' });

export const EnvPrognosisSchema = z
  .object({
    skipCause: EnvSkipCauseSchema.optional().describe('Present when the environment is skipped'),
    envLocks: z.record(z.string(), LockSchema).optional().describe('With ENV_IS_LOCKED, by lock id'),
    nextWindowStart: z
      .string()
      .optional()
      .describe(
        'With ENV_OUTSIDE_DEPLOY_WINDOW: when the next deploy window opens (RFC 3339 UTC); absent when none opens within 15 days',
      ),
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

export const PlanIdSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe("The plan's id (SHA-256 of its decisions, hex): the prognosis's ETag, a train's If-Match");

export const TrainResponseSchema = z
  .object({
    target: z.string(),
    team: z.string().optional(),
    commitId: z.string().nullable().describe('The commit of the train; null when it deployed nothing'),
    gitTag: z.string().optional(),
    planId: PlanIdSchema.describe('The id of the plan that was applied (also the ETag header)'),
    envsPrognoses: EnvsPrognosesSchema.describe('Exactly the plan that was applied'),
  })
  .meta({ id: 'ReleaseTrainResult' });

export const PlanChangedResponseSchema = ErrorResponseSchema.extend({
  code: z.literal('PLAN_CHANGED'),
  currentPlanId: PlanIdSchema.describe('The id of the plan the train would apply now'),
  envsPrognoses: EnvsPrognosesSchema.describe('The plan the train would apply now'),
}).meta({ id: 'PlanChanged' });

/** An entity tag of a plan: its id in double quotes. */
const QUOTED_PLAN_ID = '"[0-9a-f]{64}"';

// Loose: Fastify replaces the request's headers with what validation returns, so the others stay.
export const TrainHeadersSchema = z.looseObject({
  'if-match': z
    .string()
    .regex(new RegExp(`^\\s*(\\*|${QUOTED_PLAN_ID}(\\s*,\\s*${QUOTED_PLAN_ID})*)\\s*$`), {
      error: 'must be * or one or more plan ids in double quotes, comma-separated ("<64 hex digits>")',
    })
    .optional()
    .describe(
      "Commit only the plan of this id (from the prognosis's ETag), else 412 PLAN_CHANGED and nothing is written; * or absent: whatever the plan is",
    ),
});

export const PrognosisHeadersSchema = z.looseObject({
  'if-none-match': z
    .string()
    .optional()
    .describe('The ETag of an earlier prognosis: 304 without a body while the plan is still that one'),
});

export const TrainBodySchema = optionalBody(strictBody({ ciLink: CiLinkSchema.optional() })).describe(
  'Empty, or a JSON object',
);

// The prognosis takes every parameter that changes what the train deploys, so it previews exactly it.
const PlanQuerySchema = z.object({
  team: TeamNameSchema.optional().describe("Only this team's apps"),
  sourceGitTag: GitTagNameSchema.optional().describe('Take the upstream versions as of this tag'),
});

export const PrognosisQuerySchema = PlanQuerySchema.extend({
  diff: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: each deployed app also gets manifestDiff (the plan and its id stay the same)'),
});

export const TrainQuerySchema = PlanQuerySchema.extend({
  gitTag: GitTagNameSchema.optional().describe("Create this tag on the train's commit (no commit, no tag)"),
});
