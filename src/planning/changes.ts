// What a write changes in the tree, as plain data: the adapter turns it into one commit.

export type TreeChange =
  | { readonly kind: 'file'; readonly path: string; readonly content: string | Buffer }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'blob'; readonly path: string; readonly oid: string }
  /** Removes a file or a whole directory. */
  | { readonly kind: 'delete'; readonly path: string };

export interface Identity {
  readonly name: string;
  readonly email: string;
}

/** A planned write: the changes (none: no commit), the commit message, and what to answer. */
export interface WritePlan<T> {
  readonly changes: readonly TreeChange[];
  readonly message: string;
  readonly result: T;
}

export function releaseLink(app: string, version: number): string {
  return `../../../../applications/${app}/releases/${version}`;
}
