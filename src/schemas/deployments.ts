import { z } from 'zod';
import { MAX_RELEASE_VERSION } from '../domain/names.js';
import { strictBody } from './strict.js';

export const DeploymentBodySchema = strictBody({
  version: z.number().int().min(1).max(MAX_RELEASE_VERSION),
  lockBehavior: z
    .enum(['record', 'fail', 'ignore'])
    .describe('When locked: record writes queued_version, fail answers 409, ignore deploys'),
}).meta({ id: 'DeploymentRequest' });

export const DeploymentResponseSchema = z
  .object({
    environment: z.string(),
    application: z.string(),
    version: z.number().int(),
    outcome: z.enum(['deployed', 'queued']),
    commitId: z.string().nullable().describe('null when nothing changed'),
  })
  .meta({ id: 'DeploymentResult' });
