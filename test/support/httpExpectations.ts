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
  // One git process for all of it: each commit since `before` with its parents, author, committer
  // and Request-Id trailer.
  const commits = h.fixture
    .git([
      'log',
      '-z',
      '--format=%H%x1f%P%x1f%an <%ae>%n%cn <%ce>%x1f%(trailers:key=Request-Id,valueonly)',
      `${before}..main`,
    ])
    .split('\0')
    .filter(Boolean)
    .map((entry) => entry.split('\x1f') as [string, string, string, string]);
  expect(commits.length).toBe(1);
  const [tip, parents, identities, requestIds] = commits[0] as [string, string, string, string];
  expect(parents).toBe(before);
  expect(identities).toBe(`${author.name} <${author.email}>\n${COMMITTER}`);
  expect(requestIds.trim()).toBe(requestId);
  return tip;
}
