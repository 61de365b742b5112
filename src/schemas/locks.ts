import { z } from 'zod';
import { CiLinkSchema, OneLineSchema } from './names.js';
import { strictBody } from './strict.js';

export const LockBodySchema = strictBody({
  message: z
    .string()
    .max(64 * 1024)
    .describe('Why the lock is there'),
  ciLink: CiLinkSchema.optional(),
  suggestedLifetime: OneLineSchema('suggestedLifetime', 64)
    .optional()
    .describe('How long the lock is meant to stay, e.g. 2h or 7d (kept as given)'),
}).meta({ id: 'LockRequest' });
