// Which body encodings a route takes; anything else is a 415 before validation.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

function mediaType(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}

/** Whether the client sent a body, whether or not a parser read it. */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return request.headers['transfer-encoding'] !== undefined;
}

export async function onlyJson(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (hasBody(request) && mediaType(request) !== 'application/json') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON (Content-Type: application/json).');
  }
}

export async function onlyMultipart(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (mediaType(request) !== 'multipart/form-data') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data.');
  }
}

export async function jsonOrMultipart(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const type = mediaType(request);
  if (type !== 'application/json' && type !== 'multipart/form-data') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON, or multipart/form-data with a `config` field.');
  }
}
