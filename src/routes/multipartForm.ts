// Reads a multipart/form-data body into plain text fields, before validation: files and string
// fields alike, with one running limit over all of them, exact bytes (UTF-8 required), and a
// repeated field refused. Kuberpult's clients send manifests either way.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function readMultipartForm(maxBytes: number) {
  return async function readForm(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (!request.isMultipart()) return;
    const form: Record<string, string> = {};
    let total = 0;
    try {
      for await (const part of request.parts({ limits: { fileSize: maxBytes, fieldSize: maxBytes } })) {
        if (Object.hasOwn(form, part.fieldname)) {
          throw new AppError('INVALID_INPUT', `Field '${part.fieldname}' is given more than once.`);
        }
        let bytes: Buffer;
        if (part.type === 'file') {
          bytes = await part.toBuffer();
        } else {
          if (part.valueTruncated) throw tooLarge(maxBytes);
          // Fields are decoded as latin1 (see app.ts), which gives back their bytes exactly; a
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
