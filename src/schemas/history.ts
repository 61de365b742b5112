// GET /api/history: the branch's commits, newest first (security.md "Audit").
import { z } from 'zod';
import { ApplicationNameSchema, EnvironmentNameSchema } from './names.js';

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 1000;

export const HistoryQuerySchema = z.object({
  environment: EnvironmentNameSchema.optional().describe('Only commits that touch this environment'),
  application: ApplicationNameSchema.optional().describe('Only commits that touch this application'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(HISTORY_MAX_LIMIT)
    .default(HISTORY_DEFAULT_LIMIT)
    .describe('At most this many entries, newest first'),
});

export const HISTORY_KINDS = [
  'train',
  'lock',
  'release',
  'deployment',
  'environment',
  'application',
  'cleanup',
  'other',
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

export const GitPersonSchema = z.object({ name: z.string(), email: z.string() }).meta({ id: 'GitPerson' });

export const HistoryEntrySchema = z
  .object({
    commitId: z.string(),
    kind: z
      .enum(HISTORY_KINDS)
      .describe(
        "What the commit did, read from its subject; 'other' for any subject the service does not write (e.g. a commit made with git)",
      ),
    summary: z.string().describe("The commit's subject line"),
    undeployVersion: z
      .literal(true)
      .optional()
      .describe('Present when the commit created an undeploy version (kind release)'),
    author: GitPersonSchema.describe('Who asked for the change'),
    committer: GitPersonSchema.describe('Who wrote the commit (the service, for its own writes)'),
    time: z.string().describe('The author date, ISO 8601 UTC'),
    requestId: z.string().optional().describe('The Request-Id trailer, when there is one'),
    ciLink: z.string().optional().describe('The Ci-Link trailer, when there is one'),
  })
  .meta({ id: 'HistoryEntry' });
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const HistoryResponseSchema = z
  .object({ entries: z.array(HistoryEntrySchema).describe('Newest first') })
  .meta({ id: 'History' });
