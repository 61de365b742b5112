import { z } from 'zod';
import { ApplicationNameSchema, CiLinkSchema, OneLineSchema, TeamNameSchema } from './names.js';

export const MANIFEST_FIELD = /^manifests\[([^\]]*)\]$/;

/** The multipart form of Kuberpult's CI scripts; `manifests[<env>]` fields come in addition. */
export const ReleaseFormSchema = z
  .object({
    application: ApplicationNameSchema,
    version: z
      .string()
      .regex(/^[0-9]*$/, 'version must be a decimal number')
      .optional()
      .describe('Empty or absent: one more than the latest release'),
    team: TeamNameSchema.optional(),
    source_commit_id: OneLineSchema('source_commit_id', 256).optional(),
    source_author: OneLineSchema('source_author', 512).optional(),
    source_message: z
      .string()
      .max(64 * 1024)
      .optional(),
    display_version: OneLineSchema('display_version', 256).optional(),
    ci_link: CiLinkSchema.optional(),
  })
  .catchall(z.string())
  .describe('Plus one field `manifests[<env>]` (a file or a string) per environment');

export const ReleaseResponseSchema = z
  .object({ application: z.string(), version: z.number().int() })
  .meta({ id: 'ReleaseResult' });
