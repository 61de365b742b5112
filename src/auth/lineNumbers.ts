// Line numbers for errors in the YAML files the service reads at start (tokens, teams): js-yaml
// reports syntax errors with a line, schema errors only with a path, so the path is found again.

/** The 1-based line of the `index`-th item of a top-level YAML list, if it can be found. */
export function lineOfListItem(text: string, index: number): number | undefined {
  let seen = -1;
  const lines = text.split('\n');
  for (let line = 0; line < lines.length; line++) {
    if (/^-(\s|$)/.test(lines[line] ?? '') && ++seen === index) return line + 1;
  }
  return undefined;
}

/** The 1-based line of a top-level key of a YAML mapping, if it can be found. */
export function lineOfKey(text: string, key: string): number | undefined {
  const lines = text.split('\n');
  const pattern = new RegExp(`^["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
  const index = lines.findIndex((line) => pattern.test(line));
  return index < 0 ? undefined : index + 1;
}
