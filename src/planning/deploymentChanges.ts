// The files a deployment writes, and a deployment held back by a lock
// (manifest-repo.md "Writing rules").
import { type Identity, releaseLink, type TreeChange } from './changes.js';
import type { Snapshot } from './model.js';

export interface DeploymentWrite {
  readonly environment: string;
  readonly app: string;
  readonly version: number;
  /** The release's manifest for the environment: an existing blob, or content written with it. */
  readonly manifest: { readonly blobId: string } | { readonly content: string | Buffer };
}

export interface DeploymentContext {
  readonly deployer: Identity;
  readonly time: Date;
  /** Blob id of the empty blob in this repo's object format. */
  readonly emptyBlobId: string;
}

export function appPath(environment: string, app: string): string {
  return `environments/${environment}/applications/${app}`;
}

export function deploymentChanges(
  snapshot: Snapshot,
  deployment: DeploymentWrite,
  context: DeploymentContext,
): TreeChange[] {
  const { environment, app, version, manifest } = deployment;
  const path = appPath(environment, app);
  const manifestPath = `${path}/manifests/manifests.yaml`;
  // Argo CD rejects an empty manifests.yaml; Kuberpult writes a single space instead.
  const isEmpty =
    'blobId' in manifest ? manifest.blobId === context.emptyBlobId : manifest.content.length === 0;
  const changes: TreeChange[] = [
    { kind: 'symlink', path: `${path}/version`, target: releaseLink(app, version) },
    isEmpty
      ? { kind: 'file', path: manifestPath, content: ' ' }
      : 'blobId' in manifest
        ? { kind: 'blob', path: manifestPath, oid: manifest.blobId }
        : { kind: 'file', path: manifestPath, content: manifest.content },
    { kind: 'file', path: `${path}/deployed_by`, content: context.deployer.name },
    { kind: 'file', path: `${path}/deployed_by_email`, content: context.deployer.email },
    { kind: 'file', path: `${path}/deployed_at_utc`, content: context.time.toISOString() },
  ];
  if (hasQueuedVersion(snapshot, environment, app))
    changes.push({ kind: 'delete', path: `${path}/queued_version` });
  return changes;
}

/** A deployment that a lock holds back: `queued_version` (the queue holds one: last one wins). */
export function queuedDeploymentChanges(environment: string, app: string, version: number): TreeChange[] {
  return [
    {
      kind: 'symlink',
      path: `${appPath(environment, app)}/queued_version`,
      target: releaseLink(app, version),
    },
  ];
}

function hasQueuedVersion(snapshot: Snapshot, environment: string, app: string): boolean {
  const queued = snapshot.environments.get(environment)?.applications.get(app)?.queuedVersion;
  // A corrupt queued_version is removed too: the deployment replaces it.
  return queued !== undefined && !(queued.ok && queued.value === undefined);
}
