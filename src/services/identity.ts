// Who a request comes from, as Kuberpult's clients say it: base64 `author-name` and
// `author-email` headers. Without them, the configured default identity.
import { AppError } from '../errors.js';
import type { GitIdentity } from '../manifest/git.js';

export const DEFAULT_AUTHOR: GitIdentity = {
  name: 'Trainyard User',
  email: 'trainyard-user@trainyard.invalid',
};

type HeaderValue = string | string[] | undefined;

/** What a git author name or email may be, wherever it comes from: one line, no < or >, 1 to 256 characters. */
export function isIdentityText(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  return value.length > 0 && value.length <= 256 && !/[<>\u0000-\u001f\u007f]/.test(value);
}

export function authorFromHeaders(
  headers: Record<string, HeaderValue>,
  fallback: GitIdentity = DEFAULT_AUTHOR,
): GitIdentity {
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
    throw new AppError(
      'INVALID_AUTHOR',
      `The ${header} header must be one line without < or >, at most 256 characters.`,
    );
  }
  return decoded;
}
