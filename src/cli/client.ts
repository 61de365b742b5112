// The HTTP request of each subcommand (pure), and sending it with retries: network errors,
// timeouts and 5xx are worth another try (the server may be restarting or the repo busy); a 4xx
// will not change, so it fails at once. A release without --version is numbered by the server,
// so it is tried again only where nothing can have been written (see `repeatable`).
import type { CliCommand, Connection } from './args.js';
import type { LockScope } from './subcommands.js';

export interface Credentials {
  /** TRAINYARD_TOKEN or KUBERPULT_DEX_ACCESS_TOKEN: Authorization. */
  readonly token?: string;
  /** KUBERPULT_IAP_TOKEN: Proxy-Authorization, for a server behind an identity-aware proxy. */
  readonly iapToken?: string;
}

export interface FormField {
  readonly name: string;
  readonly value: string | Buffer;
  /** Present: sent as a file part. */
  readonly filename?: string;
}

export type RequestBody =
  | { readonly kind: 'json'; readonly text: string }
  | { readonly kind: 'form'; readonly fields: readonly FormField[] };

export interface Request {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  /**
   * false: sending it twice could write twice, so it is retried only where the first attempt
   * surely wrote nothing (no connection, or 503).
   */
  readonly repeatable: boolean;
}

/** `manifests`: the content of each --manifest file by its path, read by the caller. */
export function buildRequest(
  { connection, command }: CliCommand,
  credentials: Credentials,
  manifests: ReadonlyMap<string, Buffer> = new Map(),
): Request {
  const headers = requestHeaders(connection, credentials);
  const at = (method: Request['method'], path: string, body?: RequestBody, repeatable = true): Request => {
    if (body?.kind === 'json') headers['content-type'] = 'application/json';
    return { method, url: `${connection.url}${path}`, headers, ...(body && { body }), repeatable };
  };
  switch (command.kind) {
    case 'release-train':
    case 'prognosis': {
      const base = command.group ? 'environment-groups' : 'environments';
      const query = new URLSearchParams();
      if (command.team !== undefined) query.set('team', command.team);
      if (command.diff) query.set('diff', 'true');
      const search = query.size === 0 ? '' : `?${query}`;
      const path = `/api/${base}/${segment(command.target)}/releasetrain`;
      if (command.kind === 'prognosis') return at('GET', `${path}/prognosis${search}`);
      // The approved plan or nothing: the server answers 412 when the plan is another now.
      if (command.approvedPlan) headers['if-match'] = `"${command.approvedPlan.planId}"`;
      const body = command.ciLink === undefined ? undefined : json({ ciLink: command.ciLink });
      return at('PUT', `${path}${search}`, body);
    }
    case 'planned-release-train':
      throw new Error('the plan file is read first: its train is a release-train');
    case 'release': {
      const fields: FormField[] = [{ name: 'application', value: command.application }];
      for (const { environment, file } of command.manifests) {
        const content = manifests.get(file);
        if (content === undefined) throw new Error(`the manifest file ${file} was not read`);
        fields.push({
          name: `manifests[${environment}]`,
          value: content,
          filename: `${environment}-manifest`,
        });
      }
      const optionalFields: [string, string | number | undefined][] = [
        ['team', command.team],
        ['source_commit_id', command.sourceCommitId],
        ['previous_commit_id', command.previousCommitId],
        ['source_author', command.sourceAuthor],
        ['source_message', command.sourceMessage],
        ['version', command.version],
        ['display_version', command.displayVersion],
        ['ci_link', command.ciLink],
      ];
      for (const [name, value] of optionalFields) {
        if (value !== undefined) fields.push({ name, value: String(value) });
      }
      return at('POST', '/api/release', { kind: 'form', fields }, command.version !== undefined);
    }
    case 'create-lock':
      return at(
        'PUT',
        lockPath(command.scope, command.lockId),
        json({
          message: command.message,
          ...(command.ciLink !== undefined && { ciLink: command.ciLink }),
          ...(command.suggestedLifetime !== undefined && { suggestedLifetime: command.suggestedLifetime }),
          ...(command.validFrom !== undefined && { validFrom: command.validFrom }),
          ...(command.validUntil !== undefined && { validUntil: command.validUntil }),
        }),
      );
    case 'delete-lock':
      return at('DELETE', lockPath(command.scope, command.lockId));
    case 'get-deployment-commit':
      return at(
        'GET',
        `/api/environments/${segment(command.environment)}/applications/${segment(command.application)}/commit`,
      );
    case 'get-commit-deployments':
      return at('GET', `/api/commit-deployments/${segment(command.commit)}`);
    case 'delete-environment':
      return at('DELETE', `/api/environments/${segment(command.environment)}`);
    case 'cleanup-releases':
      if (command.dryRun) return at('GET', '/api/releases/cleanup');
      // Repeatable: a second cleanup finds nothing more to remove.
      return at(
        'POST',
        '/api/releases/cleanup',
        command.ciLink === undefined ? undefined : json({ ciLink: command.ciLink }),
      );
  }
}

function requestHeaders(connection: Connection, credentials: Credentials): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // Base64 as Kuberpult's clients send them, so any UTF-8 name survives the header.
  if (connection.authorName !== undefined) headers['author-name'] = base64(connection.authorName);
  if (connection.authorEmail !== undefined) headers['author-email'] = base64(connection.authorEmail);
  if (connection.clientUuid !== undefined) headers['client-uuid'] = connection.clientUuid;
  if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
  if (credentials.iapToken) headers['proxy-authorization'] = `Bearer ${credentials.iapToken}`;
  return headers;
}

function lockPath(scope: LockScope, lockId: string): string {
  const id = segment(lockId);
  switch (scope.kind) {
    case 'environment':
      return `/api/environments/${segment(scope.environment)}/locks/${id}`;
    case 'application':
      return `/api/environments/${segment(scope.environment)}/applications/${segment(scope.application)}/locks/${id}`;
    case 'team':
      return `/api/environments/${segment(scope.environment)}/lock/team/${segment(scope.team)}/${id}`;
    case 'group':
      return `/api/environment-groups/${segment(scope.group)}/locks/${id}`;
  }
}

const segment = encodeURIComponent;

function json(value: unknown): RequestBody {
  return { kind: 'json', text: JSON.stringify(value) };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export interface ClientOptions {
  readonly retries: number;
  readonly timeoutSeconds: number;
  /** The unit of the back-off: attempt n waits n units. Tests shrink it. */
  readonly retryDelayMs: number;
  /** Progress notes (retries) for the CI log. */
  readonly log: (line: string) => void;
}

export type CallResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly body: string;
      /** The ETag header (a prognosis's plan id), when there is one. */
      readonly etag: string | undefined;
    }
  | {
      readonly ok: false;
      readonly message: string;
      /** The server's answer, when it gave one (a 412's current plan). */
      readonly answer?: { readonly status: number; readonly body: string };
      /** Attempts made: with more than one, an earlier one may have written after all. */
      readonly attempts: number;
    };

// Errors of a connection that was never made: nothing reached the server.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export async function call(request: Request, options: ClientOptions): Promise<CallResult> {
  const attempts = options.retries + 1;
  let lastProblem = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      const wait = (attempt - 1) * options.retryDelayMs;
      options.log(`${lastProblem}; retrying in ${wait / 1000} s (attempt ${attempt} of ${attempts})`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    let response: Response;
    let body: string;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined && { body: fetchBody(request.body) }),
        signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
      });
      // The body is read under the same timeout: a server that stalls mid-body is a timeout too.
      body = await response.text();
    } catch (error) {
      lastProblem = describeFailure(error, options.timeoutSeconds);
      if (!request.repeatable && !NOT_CONNECTED.has(causeCode(error))) {
        return {
          ok: false,
          message: `${lastProblem} (not retried: the release may have been created)`,
          attempts: attempt,
        };
      }
      continue;
    }
    if (response.ok) {
      return { ok: true, status: response.status, body, etag: response.headers.get('etag') ?? undefined };
    }
    const problem = `${request.method} ${request.url} answered ${response.status}: ${errorText(body)}`;
    const answer = { status: response.status, body };
    if (response.status < 500) return { ok: false, message: problem, answer, attempts: attempt };
    lastProblem = problem;
    // 503: the server wrote nothing (busy, or its identity provider is down).
    if (!request.repeatable && response.status !== 503) {
      return {
        ok: false,
        message: `${problem} (not retried: the release may have been created)`,
        answer,
        attempts: attempt,
      };
    }
  }
  return {
    ok: false,
    message: `${lastProblem} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
    attempts,
  };
}

function fetchBody(body: RequestBody): string | FormData {
  if (body.kind === 'json') return body.text;
  const form = new FormData();
  for (const field of body.fields) {
    if (field.filename === undefined) form.append(field.name, String(field.value));
    else form.append(field.name, new Blob([field.value]), field.filename);
  }
  return form;
}

function causeCode(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : '';
}

function describeFailure(error: unknown, timeoutSeconds: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutSeconds} s`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `request failed${error instanceof Error ? `: ${error.message}` : ''}${cause}`;
}

/** The server's error message and code, or the raw body when it is not our error shape. */
function errorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const { message, code } = parsed as { message?: unknown; code?: unknown };
      if (typeof message === 'string') return typeof code === 'string' ? `${message} (${code})` : message;
    }
  } catch {
    // Not JSON: show it as it came.
  }
  return body.trim().slice(0, 500) || '(empty body)';
}
