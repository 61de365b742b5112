// What the UI's forms and links send, checked before anything runs: the API's name schemas
// (src/schemas/names.ts), an empty field read as absent, a field given twice or not known refused
// (400, naming the field by its label), the same way the API refuses them.
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { unknownNames } from '../schemas/strict.js';

/** A field left empty in a form is not given. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

/** A field that must be filled in: empty is "is required", not a broken name. */
export function required<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema);
}

/** Labels of the fields, as the forms show them, for the messages. */
export type Labels = Readonly<Record<string, string>>;

/** Parses a query or a form body; a problem is a 400 naming the field by its label. */
export function parseFields<Shape extends z.ZodRawShape>(
  shape: Shape,
  labels: Labels,
  input: unknown,
): z.infer<z.ZodObject<Shape>> {
  const fields = (input ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !Object.hasOwn(shape, key));
  if (unknown.length > 0) {
    throw new AppError('INVALID_INPUT', `The request has ${unknownNames('field', unknown)}.`);
  }
  for (const [key, value] of Object.entries(fields)) {
    if (Array.isArray(value)) {
      throw new AppError('INVALID_INPUT', `${labels[key] ?? key} is given more than once.`);
    }
  }
  const parsed = z.object(shape).safeParse(fields);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const missing = fields[key] === undefined || fields[key] === '';
    return `${labels[key] ?? key}: ${missing && issue.code === 'invalid_type' ? 'is required' : issue.message}`;
  });
  throw new AppError('INVALID_INPUT', problems.join('; '));
}

/** A path inside the UI to go back to after a sign-in; anything else is the overview. */
export function localUiPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/ui/';
  // Only this site's UI: no scheme, no other host (`//host`), no backslash tricks, no line breaks.
  return /^\/ui\/[^\\\s]*$/.test(value) && !value.startsWith('//') ? value : '/ui/';
}
