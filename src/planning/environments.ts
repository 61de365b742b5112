// Creating or replacing an environment's config.json, and deleting an environment.
import { AppError } from '../domain/errors.js';
import type { WritePlan } from './changes.js';
import type { Environment, Snapshot } from './model.js';
import { requireEnvironment, requireEveryEnvironment, requireLayout } from './problems.js';
import { mustRead, sortedKeys } from './readable.js';

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

export interface EnvironmentDeletion {
  readonly environment: string;
}

/**
 * Removing an environment wholly (lifecycle.md "Environment deletion"): config, locks, team
 * locks and deployed apps. Release manifests for it stay in the releases. Refused while another
 * environment takes its versions, since that one would lose its upstream.
 */
export function planDeleteEnvironment(
  snapshot: Snapshot,
  environment: string,
  trailers: string,
): WritePlan<EnvironmentDeletion> {
  requireLayout(snapshot);
  // Any environment may take its versions, one that cannot be read too.
  requireEveryEnvironment(snapshot);
  if (!snapshot.environments.has(environment)) {
    throw new AppError('ENVIRONMENT_NOT_FOUND', `No environment named '${environment}' exists.`);
  }
  const downstream = sortedKeys(snapshot.environments).filter((name) => {
    const other = snapshot.environments.get(name) as Environment;
    return name !== environment && mustRead(other.config).upstream?.environment === environment;
  });
  if (downstream.length > 0) {
    throw new AppError(
      'ENVIRONMENT_IN_USE',
      `Environment '${environment}' is the upstream of ${downstream.map((name) => `'${name}'`).join(', ')}: ` +
        'delete or re-point those first.',
      { details: { environments: downstream } },
    );
  }
  return {
    changes: [{ kind: 'delete', path: `environments/${environment}` }],
    message: `Deleted environment "${environment}"\n\n${trailers}`,
    result: { environment },
  };
}
