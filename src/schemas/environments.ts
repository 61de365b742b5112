import { z } from 'zod';
import {
  isValidTimeZone,
  MAX_DEPLOY_WINDOWS,
  minutesOfDay,
  WEEKDAYS,
  WINDOW_END_PATTERN,
  WINDOW_START_PATTERN,
} from '../domain/deployWindows.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/jsonDepth.js';
import { EnvironmentNameSchema, GroupNameSchema } from './names.js';

// The rules of domain/deployWindows.ts, as the reader of config.json applies them
// (planning/deployWindows.ts): what one refuses, the other refuses too.
export const DeployWindowSchema = z
  .strictObject({
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1, 'days must name at least one day')
      .describe('The days it opens on'),
    start: z
      .string()
      .regex(WINDOW_START_PATTERN, 'start must be HH:MM (24-hour, 00:00 to 23:59)')
      .describe('HH:MM, wall clock of timeZone: the window opens'),
    end: z
      .string()
      .regex(WINDOW_END_PATTERN, 'end must be HH:MM (24-hour, up to 24:00)')
      .describe('HH:MM (24:00: the end of the day), after start: the window closes'),
    timeZone: z
      .string()
      .refine(isValidTimeZone, 'timeZone must be an IANA time zone name such as Europe/Berlin')
      .describe('IANA time zone name, e.g. Europe/Berlin; DST follows its wall clock'),
  })
  .refine((window) => minutesOfDay(window.start) < minutesOfDay(window.end), {
    path: ['end'],
    message: 'end must be after start',
  })
  .meta({ id: 'DeployWindow' });

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
    deployWindows: z
      .array(DeployWindowSchema)
      .max(MAX_DEPLOY_WINDOWS)
      .nullable()
      .optional()
      .describe('A release train deploys here only while one of them is open; absent, null or []: always'),
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
