import { z } from 'zod';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/jsonDepth.js';
import { EnvironmentNameSchema, GroupNameSchema } from './names.js';

// Unknown fields (Argo CD settings in either form, anything newer) are kept as they are.
export const EnvironmentConfigSchema = z
  .looseObject({
    upstream: z
      .looseObject({
        latest: z.boolean().optional().describe('Take the newest release of every app'),
        environment: z
          .union([EnvironmentNameSchema, z.literal('')])
          .optional()
          .describe('Take the deployed versions of this environment'),
      })
      .nullable()
      .optional(),
    environmentGroup: GroupNameSchema.optional(),
    argocd: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Argo CD settings (older form), kept as given'),
    argoConfigs: z.unknown().optional().describe('Argo CD settings (newer form), kept as given'),
    isActiveActive: z.boolean().optional(),
  })
  // Stored and compared as it is: a config nested thousands deep would overflow the stack.
  .refine((config) => !nestsDeeperThan(config), `must nest at most ${MAX_JSON_DEPTH} levels deep`)
  .meta({ id: 'EnvironmentConfig' });

export const EnvironmentResponseSchema = z
  .object({ environment: z.string(), created: z.boolean(), config: z.record(z.string(), z.unknown()) })
  .meta({ id: 'EnvironmentResult' });

export const EnvironmentDeletionSchema = z
  .object({
    environment: z.string(),
    commitId: z.string().nullable().describe('The commit that removed it'),
  })
  .meta({ id: 'EnvironmentDeletion' });
