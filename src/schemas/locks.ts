import { z } from 'zod';
import { parseRfc3339 } from '../domain/time.js';
import { CiLinkSchema, OneLineSchema } from './names.js';
import { LockSchema } from './releaseTrain.js';
import { strictBody } from './strict.js';

const BoundSchema = (what: string) =>
  z
    .string()
    .max(64)
    .refine((value) => parseRfc3339(value) !== undefined, {
      message: `${what} must be an RFC 3339 time with an offset, such as 2026-12-20T00:00:00Z`,
    });

/** A lock, and whether it blocks now (a timed lock outside its interval does not). */
export const LockStateSchema = LockSchema.extend({
  inForce: z.boolean().describe('Whether the lock blocks now: false before validFrom and from validUntil on'),
}).meta({ id: 'LockState' });
export type LockState = z.infer<typeof LockStateSchema>;

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
  validFrom: BoundSchema('validFrom')
    .optional()
    .describe('RFC 3339: the lock blocks only from then on (a freeze planned ahead)'),
  validUntil: BoundSchema('validUntil')
    .optional()
    .describe(
      'RFC 3339, in the future and after validFrom: the lock blocks only until then, and ends by itself',
    ),
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
