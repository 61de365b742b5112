// The one HTTP call of the CLI, with retries: network errors, timeouts and 5xx are worth another
// try (the server may be restarting or the repo busy); a 4xx will not change, so it fails at once.
import type { CliCommand } from './args.js';

export interface ClientOptions {
  /** The unit of the back-off: attempt n waits n units. Tests shrink it. */
  readonly retryDelayMs: number;
  readonly token?: string;
  /** Progress notes (retries) for the CI log. */
  readonly log: (line: string) => void;
}

export type CallResult =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly message: string };

export interface Request {
  readonly method: 'PUT' | 'GET';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export function buildRequest(command: CliCommand, token: string | undefined): Request {
  const base = command.group ? 'environment-groups' : 'environments';
  const path = `/api/${base}/${encodeURIComponent(command.target)}/releasetrain${
    command.kind === 'prognosis' ? '/prognosis' : ''
  }`;
  const query = command.team === undefined ? '' : `?team=${encodeURIComponent(command.team)}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  // Base64 as Kuberpult's clients send them, so any UTF-8 name survives the header.
  if (command.authorName !== undefined) headers['author-name'] = base64(command.authorName);
  if (command.authorEmail !== undefined) headers['author-email'] = base64(command.authorEmail);
  if (token) headers.authorization = `Bearer ${token}`;
  const request: Request = {
    method: command.kind === 'prognosis' ? 'GET' : 'PUT',
    url: `${command.url}${path}${query}`,
    headers,
  };
  if (command.kind === 'release-train' && command.ciLink !== undefined) {
    headers['content-type'] = 'application/json';
    return { ...request, body: JSON.stringify({ ciLink: command.ciLink }) };
  }
  return request;
}

export async function call(command: CliCommand, options: ClientOptions): Promise<CallResult> {
  const request = buildRequest(command, options.token);
  const attempts = command.retries + 1;
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
        ...(request.body !== undefined && { body: request.body }),
        signal: AbortSignal.timeout(command.timeoutSeconds * 1000),
      });
      // The body is read under the same timeout: a server that stalls mid-body is a timeout too.
      body = await response.text();
    } catch (error) {
      lastProblem = describeFailure(error, command.timeoutSeconds);
      continue;
    }
    if (response.ok) return { ok: true, status: response.status, body };
    const problem = `${request.method} ${request.url} answered ${response.status}: ${errorText(body)}`;
    if (response.status < 500) return { ok: false, message: problem };
    lastProblem = problem;
  }
  return {
    ok: false,
    message: `${lastProblem} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
  };
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

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
