// The files a deployment writes (manifest-repo.md "Writing rules").

import type { Snapshot } from '../planning/model.js';
import type { Deployment } from '../planning/releaseTrain.js';
import type { GitIdentity } from './git.js';
import type { TreeChange } from './writeCommit.js';

export interface DeploymentContext {
  readonly deployer: GitIdentity;
  readonly time: Date;
  /** Blob id of the empty blob in this repo's object format. */
  readonly emptyBlobId: string;
}

export function deploymentChanges(
  snapshot: Snapshot,
  deployment: Deployment,
  context: DeploymentContext,
): TreeChange[] {
  const { environment, app, version } = deployment;
  const appPath = `environments/${environment}/applications/${app}`;
  const manifestPath = `${appPath}/manifests/manifests.yaml`;
  const changes: TreeChange[] = [
    {
      kind: 'symlink',
      path: `${appPath}/version`,
      target: `../../../../applications/${app}/releases/${version}`,
    },
    // Argo CD rejects an empty manifests.yaml; Kuberpult writes a single space instead.
    deployment.manifestBlobId === context.emptyBlobId
      ? { kind: 'file', path: manifestPath, content: ' ' }
      : { kind: 'blob', path: manifestPath, oid: deployment.manifestBlobId },
    { kind: 'file', path: `${appPath}/deployed_by`, content: context.deployer.name },
    { kind: 'file', path: `${appPath}/deployed_by_email`, content: context.deployer.email },
    { kind: 'file', path: `${appPath}/deployed_at_utc`, content: context.time.toISOString() },
  ];
  const queued = snapshot.environments.get(environment)?.applications.get(app)?.queuedVersion;
  if (queued && !(queued.ok && queued.value === undefined))
    changes.push({ kind: 'delete', path: `${appPath}/queued_version` });
  return changes;
}
