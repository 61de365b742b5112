// The Kubernetes example must work with the service as it is. What the container is given runs
// here: its variables, the files its volumes put where they are mounted (under a temporary root
// instead of /), and the process, once per replica, against a git server (a local bare repo
// instead of git.example.com). What only Kubernetes does (the Service's routing, the security
// context, the volumes' kinds) is checked by reading the objects.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadAll } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTokensFile } from '../src/auth/tokens.js';
import { ConfigSchema, loadConfig } from '../src/config.js';
import { createFixtureRepo, git } from './support/gitFixture.js';
import { layoutFiles } from './support/layout.js';
import { killAllServices, type ServiceProcess, startService } from './support/serviceProcess.js';

const root = new URL('..', import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects, read the way kubectl would
type KubernetesObject = Record<string, any>;
const documents = loadAll(
  await readFile(new URL('deploy/kubernetes.yaml', root), 'utf8'),
) as KubernetesObject[];
const configurationPage = await readFile(new URL('docs/configuration.md', root), 'utf8');

const byKind = (kind: string) => documents.find((document) => document.kind === kind) as KubernetesObject;
const secret = byKind('Secret');
const configMap = byKind('ConfigMap');
const deployment = byKind('Deployment');
const service = byKind('Service');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
const env: EnvVar[] = container.env;
type VolumeMount = { name: string; mountPath: string };
const mounts: VolumeMount[] = container.volumeMounts;

/** The CI token whose SHA-256 the example's Secret holds (its comment names it). */
const EXAMPLE_TOKEN = 'replace-me-with-your-ci-token';

/** The environment the container gets, secrets filled in from the Secret of the example. */
function resolvedEnvironment(): Record<string, string> {
  return Object.fromEntries(
    env.map(({ name, value, valueFrom }) => {
      if (valueFrom) {
        expect(valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
        return [name, secret.stringData[valueFrom.secretKeyRef.key]];
      }
      return [name, value ?? ''];
    }),
  );
}

/** The files a volume shows at its mount path: relative path -> content; an emptyDir shows none. */
function volumeFiles(volume: KubernetesObject): Record<string, string> {
  if (volume.emptyDir) return {};
  if (volume.secret) {
    expect(volume.secret.secretName).toBe(secret.metadata.name);
    const items: { key: string; path: string }[] =
      volume.secret.items ?? Object.keys(secret.stringData).map((key) => ({ key, path: key }));
    return Object.fromEntries(items.map(({ key, path }) => [path, secret.stringData[key]]));
  }
  expect(volume.configMap?.name).toBe(configMap.metadata.name);
  return { ...configMap.data };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllServices();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-deploy-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * One pod of the Deployment as a process: every volume's files written under `podRoot` at its
 * mount path, every path in the variables moved there too, the git server's URL replaced.
 */
async function startPod(podRoot: string, gitServerUrl: string): Promise<ServiceProcess> {
  for (const mount of mounts) {
    const volume = pod.volumes.find((candidate: { name: string }) => candidate.name === mount.name);
    expect(volume, `the volume ${mount.name}`).toBeDefined();
    await mkdir(join(podRoot, mount.mountPath), { recursive: true });
    for (const [path, content] of Object.entries(volumeFiles(volume))) {
      const file = join(podRoot, mount.mountPath, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
  const underAMount = (value: string) =>
    mounts.some(({ mountPath }) => value === mountPath || value.startsWith(`${mountPath}/`));
  const variables = Object.fromEntries(
    Object.entries(resolvedEnvironment()).map(([name, value]) => [
      name,
      underAMount(value) ? join(podRoot, value) : value,
    ]),
  );
  return startService(podRoot, {
    ...variables,
    MANIFEST_REPO_URL: gitServerUrl,
    // Port 0 instead of containerPort: nothing else may hold it here (the port is checked below).
    PORT: '0',
    // The pod's /tmp is a volume of its own.
    TMPDIR: join(podRoot, '/tmp'),
  });
}

/** A git server with the branch the example names: shop's checkout and payments' billing, each with a new release in dev. */
async function gitServer(dir: string): Promise<{ path: string; url: string }> {
  const fixture = await createFixtureRepo(
    layoutFiles({
      apps: {
        checkout: { team: 'shop', releases: { 1: ['dev', 'staging'], 2: ['dev', 'staging'] } },
        billing: { team: 'payments', releases: { 1: ['dev', 'staging'], 2: ['dev', 'staging'] } },
      },
      environments: {
        dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2, billing: 2 } },
        staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1, billing: 1 } },
      },
    }),
    resolvedEnvironment().MANIFEST_REPO_BRANCH,
  );
  const path = join(dir, 'git-server', 'manifests.git');
  git(dir, ['clone', '--quiet', '--bare', fixture.path, path]);
  await fixture.cleanup();
  return { path, url: pathToFileURL(path).href };
}

function call(base: string, method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('deploy/kubernetes.yaml', () => {
  it('sets only variables the service knows and docs/configuration.md documents, and they load', () => {
    for (const { name } of env) {
      expect(Object.keys(ConfigSchema.shape), name).toContain(name);
      expect(configurationPage, name).toContain(`\`${name}\``);
    }
    const config = loadConfig(resolvedEnvironment());
    expect(config.AUTH_MODE).toBe('token');
    expect(config.PORT).toBe(container.ports[0].containerPort);
    // A pod reaches its git server over the network (here it is a local repo, below).
    expect(config.MANIFEST_REPO_URL).toMatch(/^https:\/\//);
  });

  it('runs as its replicas against one git server: each clones into its own emptyDir, answers its probes, takes the Secret’s token, the policy and the teams of the ConfigMap, and stops within the pod’s grace', async () => {
    const dir = await tempDir();
    const server = await gitServer(dir);
    const [tokenEntry] = parseTokensFile(secret.stringData['tokens.yaml'], 'tokens.yaml');
    expect(tokenEntry?.hash.toString('hex')).toBe(createHash('sha256').update(EXAMPLE_TOKEN).digest('hex'));

    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const pods = Array.from({ length: deployment.spec.replicas }, (_, index) => join(dir, `pod-${index}`));
    const replicas = await Promise.all(pods.map((podRoot) => startPod(podRoot, server.url)));
    const bases = await Promise.all(replicas.map((replica) => replica.listening));

    const repoPath = resolvedEnvironment().MANIFEST_REPO_PATH as string;
    for (const [index, base] of bases.entries()) {
      // Its own clone, in the volume mounted there, which is an emptyDir.
      const mount = mounts.find(({ mountPath }) => repoPath.startsWith(`${mountPath}/`)) as VolumeMount;
      const volume = pod.volumes.find((candidate: { name: string }) => candidate.name === mount.name);
      expect(volume.emptyDir).toBeDefined();
      expect(git(join(pods[index] as string, repoPath), ['rev-parse', '--is-bare-repository']).trim()).toBe(
        'true',
      );
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
        expect(probe.httpGet.port).toBe(container.ports[0].name);
        expect((await call(base, 'GET', probe.httpGet.path)).status, probe.httpGet.path).toBe(200);
      }
    }
    const [first, second] = bases as [string, string];

    // The Secret's token: a train (the policy lets ci run them), which skips the apps of teams
    // the token's groups are not in (the teams file: shop is team-shop).
    expect((await call(first, 'PUT', '/api/environments/staging/releasetrain')).status).toBe(401);
    const train = await call(first, 'PUT', '/api/environments/staging/releasetrain', EXAMPLE_TOKEN);
    const trained = (await train.json()) as {
      commitId: string;
      envsPrognoses: { staging: { appsPrognoses: { prognoses: Record<string, unknown> } } };
    };
    expect(train.status, JSON.stringify(trained)).toBe(200);
    expect(trained.envsPrognoses.staging.appsPrognoses.prognoses).toEqual({
      checkout: { deployedVersion: { version: 2 } },
      billing: expect.objectContaining({ skipCause: 'NO_TEAM_PERMISSION' }),
    });
    // What the policy does not grant is refused.
    const refused = await call(second, 'POST', '/api/environments/qa', EXAMPLE_TOKEN, {});
    expect(refused.status).toBe(403);
    // The other replica writes on top of the first one's commit, through the git server.
    const lock = await call(second, 'PUT', '/api/environments/staging/locks/oncall', EXAMPLE_TOKEN, {
      message: 'held by the on-call',
    });
    expect(lock.status).toBe(200);
    expect(git(server.path, ['rev-parse', 'main^']).trim()).toBe(trained.commitId);

    // Kubernetes' SIGKILL must come after the longest the service waits for a write once it got
    // SIGTERM (test/shutdown.test.ts: it answers the write in flight within it, then exits 0).
    for (const replica of replicas) {
      replica.child.kill('SIGTERM');
      const stopping = JSON.parse(await replica.logLine(/"msg":"stopping"/)) as { graceSeconds: number };
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(stopping.graceSeconds);
      expect(await replica.exited).toBe(0);
    }
  });

  it('routes the Service to the pods’ http port, and runs them as non-root', () => {
    // Kubernetes' own part: nothing here can run it.
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });
});
