import { z } from 'zod';
import { LockStateSchema } from './locks.js';

const LocksByIdSchema = z.record(z.string(), LockStateSchema).describe('By lock id');

export const OverviewAppSchema = z
  .object({
    name: z.string(),
    version: z.number().int().optional().describe('The deployed version; absent when not deployed'),
    queuedVersion: z.number().int().optional().describe('A deployment that a lock held back'),
    undeployVersion: z
      .literal(true)
      .optional()
      .describe('Present when the deployed version is an undeploy version (the app is being switched off)'),
    deployedBy: z.string().optional(),
    deployedByEmail: z.string().optional(),
    deployedAt: z.string().optional().describe('deployed_at_utc as written'),
    locks: LocksByIdSchema,
  })
  .meta({ id: 'OverviewApplicationInEnvironment' });

export const OverviewEnvironmentSchema = z
  .object({
    name: z.string(),
    config: z.record(z.string(), z.unknown()).describe('config.json as stored'),
    inDeployWindow: z
      .boolean()
      .optional()
      .describe('With deployWindows in the config: whether a release train may deploy here now'),
    nextWindowStart: z
      .string()
      .optional()
      .describe('Outside its deploy windows: when the next one opens (RFC 3339 UTC)'),
    locks: LocksByIdSchema,
    teamLocks: z.record(z.string(), LocksByIdSchema).describe('By team, then lock id'),
    applications: z.record(z.string(), OverviewAppSchema).describe('By app name'),
  })
  .meta({ id: 'OverviewEnvironment' });

export const OverviewSchema = z
  .object({
    environmentGroups: z
      .array(
        z.object({
          environmentGroupName: z
            .string()
            .describe('environmentGroup of the config, else the environment name'),
          environments: z.array(OverviewEnvironmentSchema),
        }),
      )
      .describe('In ascending order of group name, environments in ascending order of name'),
    applications: z
      .record(
        z.string(),
        z.object({
          name: z.string(),
          team: z.string().describe('"" when the app has no team'),
          releases: z.array(z.number().int()).describe('Release numbers, ascending'),
        }),
      )
      .describe('By app name'),
    problems: z
      .array(z.object({ file: z.string(), reason: z.string() }))
      .describe('Data in the repo that breaks the layout rules; the rest of the overview is still shown'),
  })
  .meta({ id: 'Overview' });
export type Overview = z.infer<typeof OverviewSchema>;
