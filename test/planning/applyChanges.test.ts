// applyChanges derives the snapshot after a commit of the service's own; what it cannot tell from
// the snapshot (a directory that may be gone after a delete, shapes the service never writes) it
// hands back as `unsure`, for the adapter to read from the commit. These tests pin down that
// `unsure` stays empty on the common paths (no read after the commit) and names the right parts
// otherwise; that the result equals a fresh read is checked against git in
// test/manifest/incrementalSnapshot.test.ts and test/http/snapshotProperties.test.ts.
import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/planning/applyChanges.js';
import type { TreeChange } from '../../src/planning/changes.js';
import { type DeploymentContext, deploymentChanges } from '../../src/planning/deploymentChanges.js';
import { planDeleteLock } from '../../src/planning/locks.js';
import { buildSnapshot, deepFreeze, from, LATEST, type SnapshotSpec } from './snapshotBuilder.js';

const blobIdOf = (content: string | Buffer) => `blob:${content.toString()}`;

function derive(spec: SnapshotSpec, changes: readonly TreeChange[]) {
  return applyChanges(deepFreeze(buildSnapshot(spec)), changes, 'c0ffee2', blobIdOf);
}

const deleteLock = (
  spec: SnapshotSpec,
  target: Parameters<typeof planDeleteLock>[1],
  lockId: string,
): readonly TreeChange[] => planDeleteLock(buildSnapshot(spec), target, lockId, { trailers: '' }).changes;

const WORLD: SnapshotSpec = {
  environments: {
    staging: { upstream: LATEST, apps: { checkout: { version: 1 } }, teamLocks: { shop: ['audit'] } },
    prod: {
      upstream: from('staging'),
      locks: ['xmas'],
      apps: { checkout: { version: 1, queued: 2 }, ghost: { locks: ['hold'] } },
    },
    bare: { locks: ['only'] },
  },
  applications: { checkout: { team: 'shop', releases: { 1: ['staging', 'prod'], 2: ['staging', 'prod'] } } },
};

describe('applyChanges', () => {
  it('needs no read when a lock goes from an environment that keeps its config', () => {
    const { snapshot, unsure } = derive(
      WORLD,
      deleteLock(WORLD, { kind: 'environment', environment: 'prod' }, 'xmas'),
    );
    expect(unsure).toBeNull();
    expect(snapshot.environments.get('prod')?.locks).toEqual({ ok: true, value: new Map() });
  });

  it("drops a team's entry with its last lock, without a read", () => {
    const target = { kind: 'team', environment: 'staging', team: 'shop' } as const;
    const { snapshot, unsure } = derive(WORLD, deleteLock(WORLD, target, 'audit'));
    expect(unsure).toBeNull();
    expect([...(snapshot.environments.get('staging')?.teamLocks.keys() ?? [])]).toEqual([]);
  });

  it('asks git about an app whose last modeled file went, not about its environment', () => {
    const target = { kind: 'application', environment: 'prod', app: 'ghost' } as const;
    const { unsure } = derive(WORLD, deleteLock(WORLD, target, 'hold'));
    expect(unsure?.appsInEnvironments).toEqual(new Map([['prod', new Set(['ghost'])]]));
    expect(unsure?.environments).toEqual(new Set());
  });

  it('asks git about an environment that held nothing modeled but the lock', () => {
    const { unsure } = derive(WORLD, deleteLock(WORLD, { kind: 'environment', environment: 'bare' }, 'only'));
    expect(unsure?.environments).toEqual(new Set(['bare']));
  });

  it('needs no read for a deployment that replaces a queued version (the train path)', () => {
    const context: DeploymentContext = {
      deployer: { name: 'Ana', email: 'ana@example.com' },
      time: new Date('2026-11-26T10:00:00Z'),
      emptyBlobId: 'blob:',
    };
    const changes = deploymentChanges(
      buildSnapshot(WORLD),
      { environment: 'prod', app: 'checkout', version: 2, manifest: { blobId: 'blob:m' } },
      context,
    );
    expect(changes.some((change) => change.kind === 'delete')).toBe(true);
    const { snapshot, unsure } = derive(WORLD, changes);
    expect(unsure).toBeNull();
    const state = snapshot.environments.get('prod')?.applications.get('checkout');
    expect(state?.deployedVersion).toEqual({ ok: true, value: 2 });
    expect(state?.queuedVersion).toEqual({ ok: true, value: undefined });
  });

  it('changes nothing for a delete where nothing is', () => {
    const { snapshot, unsure } = derive(WORLD, [
      { kind: 'delete', path: 'environments/nowhere/locks/x' },
      { kind: 'delete', path: 'environments/prod/applications/nobody/locks/x' },
    ]);
    expect(unsure).toBeNull();
    expect([...snapshot.environments.keys()]).toEqual(['bare', 'prod', 'staging']);
    expect(snapshot.environments.get('prod')?.applications.has('nobody')).toBe(false);
  });

  it('asks git about a link that a new release may have made valid', () => {
    const spec: SnapshotSpec = {
      environments: { prod: { upstream: LATEST, apps: { checkout: { version: 'corrupt' } } } },
      applications: { checkout: { releases: { 1: ['prod'] } } },
    };
    const { unsure } = derive(spec, [
      { kind: 'file', path: 'applications/checkout/releases/3/created_at', content: 'now' },
    ]);
    expect(unsure?.appsInEnvironments).toEqual(new Map([['prod', new Set(['checkout'])]]));
  });

  it('asks git about shapes the service never writes', () => {
    const { unsure } = derive(WORLD, [
      { kind: 'file', path: 'environments/prod/locks/stray-file', content: 'x' },
      { kind: 'delete', path: 'applications/checkout/releases/2/created_at' },
      { kind: 'file', path: 'environments/staging/applications/checkout', content: 'a file' },
    ]);
    expect(unsure?.environments).toEqual(new Set(['prod']));
    expect(unsure?.applications).toEqual(new Set(['checkout']));
    expect(unsure?.appsInEnvironments).toEqual(new Map([['staging', new Set(['checkout'])]]));
  });

  it('removes whole releases without a read (retention), and asks git about a link to one', () => {
    const spec: SnapshotSpec = {
      environments: { prod: { upstream: LATEST, apps: { checkout: { version: 3 }, web: { version: 1 } } } },
      applications: {
        checkout: { team: 'shop', releases: { 1: ['prod'], 2: ['prod'], 3: ['prod'] } },
        web: { releases: { 1: ['prod'], 2: ['prod'] } },
      },
    };
    const removed = derive(spec, [
      { kind: 'delete', path: 'applications/checkout/releases/1' },
      { kind: 'delete', path: 'applications/checkout/releases/2' },
      // Not there: nothing changes.
      { kind: 'delete', path: 'applications/checkout/releases/7' },
    ]);
    expect(removed.unsure).toBeNull();
    const checkout = removed.snapshot.applications.get('checkout');
    expect([...(checkout?.releases.keys() ?? [])]).toEqual([3]);
    expect(checkout?.latestRelease).toBe(3);

    // The newest release goes: the latest is the one below; the link to it only git can judge.
    const newest = derive(spec, [{ kind: 'delete', path: 'applications/web/releases/2' }]);
    expect(newest.unsure).toBeNull();
    expect(newest.snapshot.applications.get('web')?.latestRelease).toBe(1);
    const linked = derive(spec, [{ kind: 'delete', path: 'applications/web/releases/1' }]);
    expect(linked.unsure?.appsInEnvironments).toEqual(new Map([['prod', new Set(['web'])]]));
    // The last release of an app without a team: the app's directory may be gone.
    const last = derive(spec, [
      { kind: 'delete', path: 'applications/web/releases/1' },
      { kind: 'delete', path: 'applications/web/releases/2' },
    ]);
    expect(last.unsure?.applications).toEqual(new Set(['web']));
  });

  it('knows an undeploy version it wrote by its marker', () => {
    const { snapshot, unsure } = derive(WORLD, [
      { kind: 'file', path: 'applications/checkout/releases/3/created_at', content: 'now' },
      { kind: 'file', path: 'applications/checkout/releases/3/undeploy', content: '' },
      {
        kind: 'file',
        path: 'applications/checkout/releases/3/environments/prod/manifests.yaml',
        content: ' ',
      },
    ]);
    expect(unsure).toBeNull();
    const release = snapshot.applications.get('checkout')?.releases.get(3);
    expect(release).toEqual({ version: 3, manifests: new Map([['prod', 'blob: ']]), undeploy: true });
    expect(snapshot.applications.get('checkout')?.releases.get(2)?.undeploy).toBe(false);
  });
});
