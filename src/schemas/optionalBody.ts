// A body that may be left out. Fastify's swagger marks every body required; the mark set here
// tells the OpenAPI document (http/openapiDocument.ts) otherwise.
import type { z } from 'zod';

export const OPTIONAL_BODY = 'x-trainyard-optional-body';

/** The schema, or no body at all (Fastify validates a missing body as null). */
export function optionalBody<Schema extends z.ZodType>(schema: Schema) {
  return schema.meta({ [OPTIONAL_BODY]: true }).nullish();
}
