// What the service does not know is refused, never dropped: a body field or query key that is
// not in the route's schema (a typo of `ciLink` would lose the CI link) is a 400 naming it.
import { z } from 'zod';

/** A JSON body object that refuses unknown fields, naming them. */
export function strictBody<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownNames('field', issue.keys) : undefined),
  });
}

const SHOWN_NAMES = 5;
const SHOWN_LENGTH = 64;

/** "unknown field 'ciLnk'", "unknown query parameters 'a', 'b'": short, whatever was sent. */
export function unknownNames(kind: 'field' | 'query parameter', names: readonly string[]): string {
  const shown = names
    .slice(0, SHOWN_NAMES)
    .map((name) => `'${name.length > SHOWN_LENGTH ? `${name.slice(0, SHOWN_LENGTH)}…` : name}'`);
  const more = names.length > SHOWN_NAMES ? ` and ${names.length - SHOWN_NAMES} more` : '';
  return `unknown ${kind}${names.length === 1 ? '' : 's'} ${shown.join(', ')}${more}`;
}
