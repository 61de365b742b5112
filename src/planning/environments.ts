// Creating or replacing an environment's config.json.
import type { WritePlan } from './changes.js';
import type { Snapshot } from './model.js';
import { requireEnvironment, requireLayout } from './problems.js';

export interface EnvironmentResult {
  readonly created: boolean;
  readonly config: Readonly<Record<string, unknown>>;
}

/** The config is stored as given (unknown fields kept): 2-space JSON with a trailing newline. */
export function renderEnvironmentConfig(config: Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function planSetEnvironment(
  snapshot: Snapshot,
  environment: string,
  config: Readonly<Record<string, unknown>>,
  trailers: string,
): WritePlan<EnvironmentResult> {
  requireLayout(snapshot);
  // An entry that is not a readable environment directory is never written over.
  requireEnvironment(snapshot, environment);
  const existing = snapshot.environments.get(environment);
  const content = renderEnvironmentConfig(config);
  const result = { created: existing === undefined, config };
  // The same config again, in any key order, changes nothing: no commit.
  if (existing?.config.ok && canonicalJson(existing.config.value.raw) === canonicalJson(config)) {
    return { changes: [], message: '', result };
  }
  const verb = existing ? 'Updated' : 'Created';
  return {
    changes: [{ kind: 'file', path: `environments/${environment}/config.json`, content }],
    message: `${verb} environment "${environment}"\n\n${trailers}`,
    result,
  };
}

/** JSON with object keys sorted, to compare configs whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
