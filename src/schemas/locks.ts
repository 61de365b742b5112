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
  // Kuberpult's frontend and client spell it so; kuberpult-client sends this one.
  suggestedLifeTime: OneLineSchema('suggestedLifeTime', 64)
    .optional()
    .describe('suggestedLifetime as Kuberpult spells it; give one of the two'),
})
  .refine((body) => body.suggestedLifetime === undefined || body.suggestedLifeTime === undefined, {
    message: 'give suggestedLifetime or suggestedLifeTime, not both',
  })
  .transform(({ suggestedLifeTime, ...body }) => ({
    ...body,
    ...(body.suggestedLifetime === undefined && suggestedLifeTime !== undefined
      ? { suggestedLifetime: suggestedLifeTime }
      : {}),
  }))
  .meta({ id: 'LockRequest' });
