// Line numbers for errors in the YAML files the service reads at start (tokens, teams): js-yaml
// reports syntax errors with a line, schema errors only with a path, so the path is found again.

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
export function isBlankYaml(text: string): boolean {
  return text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .every((line) => /^\s*(#.*)?$/.test(line));
}
