// API shapes of the lifecycle routes (lifecycle.md): undeploy versions, removing applications, and
// the one-off cleanup of old releases.
import { z } from 'zod';
import { CiLinkSchema } from './names.js';
import { optionalBody } from './optionalBody.js';
import { strictBody } from './strict.js';

/** The body of the lifecycle POSTs: empty, or a CI link recorded in the commit. */
export const LifecycleBodySchema = optionalBody(strictBody({ ciLink: CiLinkSchema.optional() })).describe(
  'Empty, or a JSON object',
);

export const UndeployVersionResponseSchema = z
  .object({
    application: z.string(),
    version: z.number().int().describe('The undeploy version: one more than the latest release'),
    commitId: z.string(),
    deployedTo: z.array(z.string()).describe('Environments with upstream.latest it was deployed to'),
    queuedIn: z.array(z.string()).describe('Environments with upstream.latest where a lock queued it'),
  })
  .meta({ id: 'UndeployVersionResult' });

export const ApplicationDeletionSchema = z
  .object({
    application: z.string(),
    environments: z.array(z.string()).describe('The environments it was removed from'),
    commitId: z.string().describe('The commit that removed it'),
  })
  .meta({ id: 'ApplicationDeletion' });

export const ApplicationRemovalSchema = z
  .object({
    environment: z.string(),
    application: z.string(),
    commitId: z
      .string()
      .nullable()
      .describe('null when the app was not in the environment (nothing written)'),
  })
  .meta({ id: 'ApplicationRemovalFromEnvironment' });

const RemovedReleasesSchema = z
  .record(z.string(), z.array(z.number().int()))
  .describe('By app name: the release numbers removed, ascending; apps with none are left out');

export const ReleaseCleanupPreviewSchema = z
  .object({
    releasesKept: z.number().int().describe('RELEASES_KEPT'),
    removedReleases: z.number().int().describe('How many releases, all apps together'),
    removed: RemovedReleasesSchema,
  })
  .meta({ id: 'ReleaseCleanupPreview' });

export const ReleaseCleanupResponseSchema = ReleaseCleanupPreviewSchema.extend({
  commitId: z
    .string()
    .nullable()
    .describe('The commit that removed them; null when there was nothing to remove'),
}).meta({ id: 'ReleaseCleanupResult' });
