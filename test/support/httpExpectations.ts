// What the HTTP tests check again and again: the error body, and "exactly one new commit".
import { expect } from 'vitest';
import type { Harness } from './appHarness.js';
import { base64 } from './appHarness.js';

export const AUTHOR = { name: 'Zoë Müller', email: 'zoe@example.com' };
export const AUTHOR_HEADERS = { 'author-name': base64(AUTHOR.name), 'author-email': base64(AUTHOR.email) };
export const DEFAULT_AUTHOR = { name: 'Trainyard User', email: 'trainyard-user@trainyard.invalid' };
export const COMMITTER = 'Trainyard <trainyard@trainyard.invalid>';

/** The error body of http-api.md with this status and code; returns the body. */
export function expectError(
  response: { statusCode: number; json(): unknown },
  statusCode: number,
  code: string,
): Record<string, unknown> {
  expect(response.statusCode, JSON.stringify(response.json())).toBe(statusCode);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ statusCode, error: expect.any(String), message: expect.any(String), code });
  return body;
}

/** Exactly one new commit on `before`, by `author`, committed by the service, with the trailer. */
export function expectOneCommit(h: Harness, before: string, requestId: string, author = AUTHOR): string {
  const tip = h.fixture.tip();
  expect(h.fixture.git(['rev-list', '--count', `${before}..main`]).trim()).toBe('1');
  expect(h.fixture.git(['rev-parse', `${tip}^`]).trim()).toBe(before);
  expect(h.fixture.git(['log', '-1', '--format=%an <%ae>%n%cn <%ce>', 'main']).trim()).toBe(
    `${author.name} <${author.email}>\n${COMMITTER}`,
  );
  expect(h.fixture.git(['log', '-1', '--format=%(trailers:key=Request-Id,valueonly)', 'main']).trim()).toBe(
    requestId,
  );
  return tip;
}
