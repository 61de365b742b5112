// Every error the API answers, in the error shape of http-api.md: errors of the service (with the
// status of their code, errorStatus.ts), Fastify's own (validation, routing, body parsing), what
// Node's HTTP parser refuses before there is a request, and unknown paths.
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { UnauthenticatedError } from '../auth/authenticator.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { ErrorResponse } from '../schemas/error.js';
import { ERROR_STATUS } from './errorStatus.js';

/** Longer path parameters are refused by the router (a short 400); shorter ones reach validation. */
export const MAX_PARAM_LENGTH = 2048;
/** How much of an unknown path a 404 repeats. */
const SHOWN_PATH_LENGTH = 100;

/** Every error the API answers: logged with the request, sent in the error shape of http-api.md. */
export function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { statusCode, code, message } = describeError(error);
  // A bug is an error with its stack; a condition the service expects and names (a busy or
  // unreachable git server, a lost race, a corrupt repo) is a warning an operator can act on.
  if (code === 'INTERNAL_ERROR') request.log.error({ err: error, code }, 'request failed');
  else if (statusCode >= 500) request.log.warn({ code, message }, 'request failed');
  else request.log.info({ code, message }, 'request rejected');
  const details = error instanceof AppError ? error.details : undefined;
  const fields = error instanceof AppError ? error.fields : undefined;
  if (error instanceof AppError) {
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    if (error instanceof UnauthenticatedError) reply.header('www-authenticate', error.challenge);
  }
  // The standard fields last: an error's own fields never replace them.
  return reply
    .code(statusCode)
    .send({ ...fields, ...errorBody(statusCode, code, message), ...(details ? { details } : {}) });
}

/**
 * What Node's HTTP parser refuses before there is a request (headers too large, a request that
 * took too long to arrive, bytes that are not HTTP): the error shape with a code, then the
 * connection is closed.
 */
export function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, code, message]: [number, ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', `The request line and headers are larger than ${maxHeaderSize} bytes.`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request did not arrive in time.']
        : [400, 'INVALID_INPUT', 'The request is not valid HTTP.'];
  this.log.debug({ err: error, code }, 'connection refused before a request');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(statusCode, code, message));
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** A path no route has: 404 naming it (shortened, when long). */
export function answerNotFound(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '';
  const shown =
    path.length > SHOWN_PATH_LENGTH
      ? `${path.slice(0, SHOWN_PATH_LENGTH)}… (${path.length} characters)`
      : path;
  return reply.code(404).send(errorBody(404, 'NOT_FOUND', `No route ${request.method} ${shown}.`));
}

export function errorBody(statusCode: number, code: string, message: string): ErrorResponse {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code };
}

/** The status, code and message (generic for a bug) every error is answered with. */
export function describeError(error: FastifyError): { statusCode: number; code: ErrorCode; message: string } {
  if (error instanceof AppError) {
    const statusCode = ERROR_STATUS[error.code];
    const message =
      statusCode >= 500 && error.code === 'INTERNAL_ERROR' ? 'Internal server error.' : error.message;
    return { statusCode, code: error.code, message };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return { statusCode: 400, code: 'INVALID_INPUT', message: validationMessage(error) };
  }
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        statusCode: 400,
        code: 'INVALID_INPUT',
        message: `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`,
      };
    case 'FST_ERR_BAD_URL':
      return { statusCode: 400, code: 'INVALID_INPUT', message: 'The path is not valid URL encoding.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        statusCode: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Send JSON (Content-Type: application/json).',
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, code: 'BODY_TOO_LARGE', message: 'The request body is too large.' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, code: 'INVALID_JSON', message: 'The request body is not valid JSON.' };
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return { statusCode: 400, code: 'INVALID_JSON', message: 'The request body is not valid JSON.' };
  }
  if (error.statusCode === 413) {
    return { statusCode: 413, code: 'BODY_TOO_LARGE', message: 'The request body is too large.' };
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return { statusCode: error.statusCode, code: 'INVALID_INPUT', message: error.message };
  }
  return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error.' };
}

function validationMessage(error: FastifyError): string {
  const issues = (error.validation ?? []).map((issue) => {
    // The body itself (instancePath '/') is named without a trailing dot.
    const path = issue.instancePath === '/' ? '' : issue.instancePath.replace(/\//g, '.');
    const where = `${error.validationContext ?? 'request'}${path}`;
    return `${where}: ${issue.message ?? 'invalid'}`;
  });
  return issues.length > 0 ? `Invalid input: ${issues.join('; ')}` : error.message;
}
