// One bound on how deeply JSON may nest, for environment configs from clients and from the repo
// alike: serialising and comparing them recurse, and a value nested thousands deep overflows the
// stack (a 500 for every overview).
export const MAX_JSON_DEPTH = 32;

/** Whether objects and arrays in `value` nest more than `limit` deep (`{}` is 1); without recursion. */
export function nestsDeeperThan(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  const stack: { node: object; depth: number }[] = [];
  if (typeof value === 'object' && value !== null) stack.push({ node: value, depth: 1 });
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth > limit) return true;
    for (const child of Object.values(item.node)) {
      if (typeof child === 'object' && child !== null) stack.push({ node: child, depth: item.depth + 1 });
    }
  }
  return false;
}
