// The answers of Kuberpult's read endpoints (lifecycle.md "Looking things up"), in the shapes
// Kuberpult sends: Go's encoding/json of its protobuf messages (snake_case, empty strings left
// out) for a deployment's commit and a release's manifests, protobuf JSON (camelCase, enum names)
// for a commit's deployments.
import { z } from 'zod';
import { ApplicationNameSchema } from './names.js';

export const CommitIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{40}$/, 'commit id must be 40 hexadecimal digits')
  .describe('A full git commit id (SHA-1, 40 hex digits)');

export const DeploymentCommitSchema = z
  .object({
    author: z.string().optional().describe("The release's source_author"),
    commit_id: z.string().optional().describe("The release's source_commit_id"),
    commit_message: z.string().optional().describe("The release's source_message"),
  })
  .describe('The source commit of the deployed release; what the release does not have is left out')
  .meta({ id: 'DeploymentCommit' });
export type DeploymentCommit = z.infer<typeof DeploymentCommitSchema>;

export const COMMIT_DEPLOYMENT_STATUSES = ['DEPLOYED', 'PENDING'] as const;
export type CommitDeploymentStatus = (typeof COMMIT_DEPLOYMENT_STATUSES)[number];

export const CommitDeploymentsSchema = z
  .object({
    deploymentStatus: z
      .record(
        z.string(),
        z.object({
          deploymentStatus: z
            .record(z.string(), z.enum(COMMIT_DEPLOYMENT_STATUSES))
            .describe(
              'Per environment the release exists in: DEPLOYED when the deployed version is at least that release, else PENDING',
            ),
        }),
      )
      .describe('Per application with a release built from the commit'),
  })
  .meta({ id: 'CommitDeployments' });
export type CommitDeployments = z.infer<typeof CommitDeploymentsSchema>;

export const ReleaseVersionParamSchema = z
  .string()
  .refine((value) => value === 'latest' || /^[1-9][0-9]{0,15}$/.test(value), {
    message: 'version must be a release number or latest',
  })
  .describe('A release number, or latest');

export const ReleaseManifestsParamsSchema = z.object({
  app: ApplicationNameSchema,
  version: ReleaseVersionParamSchema,
});

export const ReleaseManifestsSchema = z
  .object({
    release: z.object({
      version: z.number().int(),
      source_commit_id: z.string().optional(),
      source_author: z.string().optional(),
      source_message: z.string().optional(),
      created_at: z
        .object({ seconds: z.number().int(), nanos: z.number().int().optional() })
        .optional()
        .describe('A protobuf Timestamp as Go encodes it: seconds since 1970, nanos when not 0'),
      undeploy_version: z.boolean().describe('Whether the release switches the app off (an undeploy file)'),
      display_version: z.string().optional(),
      environments: z.array(z.string()).describe('The environments the release has a manifest for'),
    }),
    manifests: z.record(z.string(), z.object({ environment: z.string(), content: z.string() })),
  })
  .meta({ id: 'ReleaseManifests' });
export type ReleaseManifests = z.infer<typeof ReleaseManifestsSchema>;
