// The YAML settings files (tokens, teams): read with every scalar as text, errors with the line.
// js-yaml reports syntax errors with a line, schema errors only with a path, so the path is found again.
import { FAILSAFE_SCHEMA, load, YAMLException } from 'js-yaml';

/**
 * A settings file's document, every scalar as text (a hash of digits and one "e" must not become
 * a number); `empty` for a file of blank lines and comments, which js-yaml calls an error.
 */
export function loadSettingsYaml(
  text: string,
  fileName: string,
  empty: unknown,
  toError: (message: string) => Error,
): unknown {
  if (isBlankYaml(text)) return empty;
  try {
    return load(text, { schema: FAILSAFE_SCHEMA }) ?? empty;
  } catch (error) {
    if (error instanceof YAMLException)
      throw toError(`${fileName} line ${(error.mark?.line ?? 0) + 1}: ${error.reason}`);
    throw error;
  }
}

/** The 1-based line of the `index`-th item of the outermost YAML list, if it can be found. */
export function lineOfListItem(text: string, index: number): number | undefined {
  const items = text
    .split('\n')
    .map((line, number) => ({ number: number + 1, indent: /^(\s*)-(\s|$)/.exec(line)?.[1]?.length }))
    .filter((item): item is { number: number; indent: number } => item.indent !== undefined);
  // The outermost list is the least indented one (a file may indent it under the document start).
  const outermost = Math.min(...items.map((item) => item.indent));
  return items.filter((item) => item.indent === outermost)[index]?.number;
}

/** The 1-based line of a top-level key of a YAML mapping, if it can be found. */
export function lineOfKey(text: string, key: string): number | undefined {
  const lines = text.split('\n');
  const pattern = new RegExp(`^["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
  const index = lines.findIndex((line) => pattern.test(line));
  return index < 0 ? undefined : index + 1;
}

/** Whether a YAML text holds nothing but blank lines and comments. */
function isBlankYaml(text: string): boolean {
  return text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .every((line) => /^\s*(#.*)?$/.test(line));
}
