import { z } from 'zod';

export const ErrorResponseSchema = z
  .object({
    statusCode: z.number().int(),
    error: z.string().describe('The HTTP reason phrase'),
    message: z.string(),
    code: z
      .string()
      .describe('A stable error code, e.g. INVALID_INPUT, TARGET_NOT_FOUND, MANIFEST_REPO_CORRUPT'),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('More about the error, e.g. the locks in the way'),
  })
  .meta({ id: 'Error' });
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
