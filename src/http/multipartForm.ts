// Reads a multipart/form-data body into plain text fields, before validation: files and string
// fields alike, with one running limit over all of them, exact bytes (UTF-8 required), and a
// repeated field refused. Kuberpult's clients send manifests either way.
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** How many fields, files and parts in all a form may have (busboy counts them as they come). */
const MULTIPART_COUNT_LIMITS = { fields: 1000, files: 1000, parts: 2000 } as const;

/** @fastify/multipart's error for each count limit, and what the answer says about it. */
const COUNT_LIMIT_ERRORS: Readonly<Record<string, string>> = {
  FST_FIELDS_LIMIT: `The form has more than ${MULTIPART_COUNT_LIMITS.fields} fields.`,
  FST_FILES_LIMIT: `The form has more than ${MULTIPART_COUNT_LIMITS.files} files.`,
  FST_PARTS_LIMIT: `The form has more than ${MULTIPART_COUNT_LIMITS.parts} parts (fields and files together).`,
};

/** The multipart parser; bodies are read into text fields by readMultipartForm, on the routes that take them. */
export async function acceptMultipartForms(app: FastifyInstance): Promise<void> {
  await app.register(fastifyMultipart, { defCharset: 'latin1', limits: MULTIPART_COUNT_LIMITS });
}

export function readMultipartForm(maxBytes: number) {
  return async function readForm(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (!request.isMultipart()) return;
    const form: Record<string, string> = {};
    let total = 0;
    try {
      const limits = { ...MULTIPART_COUNT_LIMITS, fileSize: maxBytes, fieldSize: maxBytes };
      for await (const part of request.parts({ limits })) {
        if (Object.hasOwn(form, part.fieldname)) {
          throw new AppError('INVALID_INPUT', `Field '${part.fieldname}' is given more than once.`);
        }
        let bytes: Buffer;
        if (part.type === 'file') {
          bytes = await part.toBuffer();
        } else {
          if (part.valueTruncated) throw tooLarge(maxBytes);
          // Fields are decoded as latin1 (acceptMultipartForms), which gives back their bytes exactly; a
          // JSON-typed field arrives parsed and is written back as JSON text.
          bytes =
            typeof part.value === 'string'
              ? Buffer.from(part.value, 'latin1')
              : Buffer.from(JSON.stringify(part.value));
        }
        total += bytes.length;
        if (total > maxBytes) throw tooLarge(maxBytes);
        try {
          form[part.fieldname] = utf8.decode(bytes);
        } catch {
          throw new AppError('INVALID_INPUT', `Field '${part.fieldname}' is not UTF-8 text.`);
        }
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      const countLimit = COUNT_LIMIT_ERRORS[(error as { code?: string }).code ?? ''];
      if (countLimit !== undefined) throw new AppError('BODY_TOO_LARGE', countLimit);
      const statusCode = (error as { statusCode?: number }).statusCode;
      if (statusCode === 413) throw tooLarge(maxBytes);
      // Busboy's own errors (no boundary, a body cut short) and a JSON field that is not JSON.
      throw new AppError('INVALID_INPUT', `The multipart body cannot be read: ${(error as Error).message}`);
    }
    request.body = form;
  };
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('BODY_TOO_LARGE', `The upload is larger than ${maxBytes} bytes.`);
}
