// Errors with stable codes, as every layer speaks of them: what went wrong, and whether trying
// again may help; nothing of HTTP. The planner throws them (CorruptRepoError, not found, ...), and
// http/errorStatus.ts is the one table from a code to its HTTP status.

export type ErrorCode =
  | 'INVALID_INPUT'
  | 'INVALID_JSON'
  | 'INVALID_AUTHOR'
  | 'RELEASE_NOT_IN_ENVIRONMENT'
  | 'RELEASE_TOO_OLD'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'TARGET_NOT_FOUND'
  | 'ENVIRONMENT_NOT_FOUND'
  | 'APPLICATION_NOT_FOUND'
  | 'LOCK_NOT_FOUND'
  | 'TEAM_NOT_FOUND'
  | 'RELEASE_NOT_FOUND'
  | 'TAG_NOT_FOUND'
  | 'NOT_DEPLOYED'
  | 'METHOD_NOT_ALLOWED'
  | 'REQUEST_TIMEOUT'
  | 'CONFLICT'
  | 'RELEASE_CONFLICT'
  | 'LOCKED'
  | 'TAG_EXISTS'
  | 'ENVIRONMENT_IN_USE'
  | 'PLAN_CHANGED'
  | 'RELEASE_REMOVED'
  | 'APP_STILL_DEPLOYED'
  | 'ALREADY_UNDEPLOYED'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'HEADERS_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'MANIFEST_REPO_CORRUPT'
  | 'INTERNAL_ERROR'
  | 'REMOTE_REJECTED'
  | 'REMOTE_UNAVAILABLE'
  | 'REPO_BUSY'
  | 'AUTH_UNAVAILABLE'
  | 'REMOTE_TIMEOUT';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra data for the client (the error body's `details`). */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** When trying again may work: after this many seconds. */
  readonly retryAfterSeconds: number | undefined;
  /** Fields of the error answer beside the standard ones (a 412's current plan, plans.md). */
  readonly fields: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      details?: Readonly<Record<string, unknown>>;
      retryAfterSeconds?: number;
      fields?: Readonly<Record<string, unknown>>;
    },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.fields = options?.fields;
  }
}

/** Data in the manifest repo breaks the layout rules; `file` is the path inside the repo. */
export class CorruptRepoError extends AppError {
  readonly file: string;
  readonly reason: string;

  constructor(file: string, reason: string) {
    super('MANIFEST_REPO_CORRUPT', `The manifest repo is corrupt: ${file}: ${reason}`);
    this.name = 'CorruptRepoError';
    this.file = file;
    this.reason = reason;
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
