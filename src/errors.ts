// Errors with stable codes, and the one table that maps a code to its HTTP status.
// Pure: the planner throws CorruptRepoError, the routes map everything here to a response.

export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  INVALID_JSON: 400,
  INVALID_AUTHOR: 400,
  RELEASE_NOT_IN_ENVIRONMENT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TARGET_NOT_FOUND: 404,
  ENVIRONMENT_NOT_FOUND: 404,
  APPLICATION_NOT_FOUND: 404,
  LOCK_NOT_FOUND: 404,
  TEAM_NOT_FOUND: 404,
  RELEASE_NOT_FOUND: 404,
  TAG_NOT_FOUND: 404,
  NOT_DEPLOYED: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  RELEASE_CONFLICT: 409,
  LOCKED: 409,
  TAG_EXISTS: 409,
  ENVIRONMENT_IN_USE: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  MANIFEST_REPO_CORRUPT: 500,
  INTERNAL_ERROR: 500,
  REMOTE_REJECTED: 502,
  REMOTE_UNAVAILABLE: 502,
  REPO_BUSY: 503,
  AUTH_UNAVAILABLE: 503,
  REMOTE_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Extra data for the client, sent as `details` in the error body. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      details?: Readonly<Record<string, unknown>>;
      /** Sent as Retry-After: when trying again may work. */
      retryAfterSeconds?: number;
      /** Response headers that belong to the error (e.g. WWW-Authenticate). */
      headers?: Readonly<Record<string, string>>;
    },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.headers = options?.headers ?? {};
  }
}

/** Data in the manifest repo breaks the layout rules; `file` is the path inside the repo. */
export class CorruptRepoError extends AppError {
  readonly file: string;

  constructor(file: string, reason: string) {
    super('MANIFEST_REPO_CORRUPT', `The manifest repo is corrupt: ${file}: ${reason}`);
    this.name = 'CorruptRepoError';
    this.file = file;
  }
}

/** The branch moved between reading and writing: the write was not made. */
export class RefConflictError extends AppError {
  constructor(ref: string) {
    super('REPO_BUSY', `The branch ${ref} moved while the change was being written; nothing was written.`, {
      retryAfterSeconds: 1,
    });
    this.name = 'RefConflictError';
  }
}

/**
 * A lock file of git's ref store blocks the write (another git process writes the ref now, or one
 * was killed while it did). `lockFile` is the path inside the repository, never a host path.
 */
export class RefLockedError extends AppError {
  readonly lockFile: string;

  constructor(lockFile: string, staleAfterMinutes: number) {
    super(
      'REPO_BUSY',
      `The manifest repo is locked: ${lockFile} exists, so the branch cannot be moved; nothing was written. ` +
        `A git process is writing, or one was killed while it did: the service removes the file once it is ${staleAfterMinutes} minutes old; remove it sooner if no git process works in the repository.`,
      { retryAfterSeconds: 5 },
    );
    this.name = 'RefLockedError';
    this.lockFile = lockFile;
  }
}
