// Who a request comes from, as Kuberpult's clients say it: base64 `author-name` and
// `author-email` headers. Without them, the configured default identity.
import { AppError } from '../domain/errors.js';
import type { Identity } from '../planning/changes.js';

export const DEFAULT_AUTHOR: Identity = {
  name: 'Trainyard User',
  email: 'trainyard-user@trainyard.invalid',
};

type HeaderValue = string | string[] | undefined;

/** The rule of isIdentityText, as the messages that refuse an identity state it. */
export const IDENTITY_TEXT_RULE =
  'one line without < or >, control characters or bidirectional controls, 1 to 256 characters';

/**
 * What a git author name or email may be, wherever it comes from (author-* headers, the tokens
 * file, OIDC claims): IDENTITY_TEXT_RULE. Bidirectional controls would make a name read as
 * another one in a log, a terminal or a web view of the history.
 */
export function isIdentityText(value: string): boolean {
  return (
    value.length > 0 &&
    value.length <= 256 &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    !/[<>\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(value)
  );
}

export function authorFromHeaders(
  headers: Record<string, HeaderValue>,
  fallback: Identity = DEFAULT_AUTHOR,
): Identity {
  const name = decodeHeader(headers['author-name'], 'author-name');
  const email = decodeHeader(headers['author-email'], 'author-email');
  return { name: name || fallback.name, email: email || fallback.email };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeHeader(value: HeaderValue, header: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new AppError('INVALID_AUTHOR', `The ${header} header must be given once.`);
  // Kuberpult's clients differ in padding and alphabet: accept both alphabets, any padding.
  const compact = value.trim().replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/_-]*$/.test(compact) || compact.length % 4 === 1) {
    throw new AppError('INVALID_AUTHOR', `The ${header} header must be base64.`);
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  } catch {
    throw new AppError('INVALID_AUTHOR', `The ${header} header must be base64 of UTF-8 text.`);
  }
  decoded = decoded.trim();
  if (decoded !== '' && !isIdentityText(decoded)) {
    throw new AppError('INVALID_AUTHOR', `The ${header} header must be ${IDENTITY_TEXT_RULE}.`);
  }
  return decoded;
}
