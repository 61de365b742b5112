// The Kubernetes example must work with the service as it is: every setting is one the service
// knows (and docs/configuration.md lists), files land where the settings point, and the files parse.
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../src/auth/policy.js';
import { parseTeamsFile } from '../src/auth/teams.js';
import { parseTokensFile } from '../src/auth/tokens.js';
import { ConfigSchema, loadConfig } from '../src/config.js';
import { shutdownGraceMs } from '../src/shutdownGrace.js';

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

/** The file behind a path in the container: which volume is mounted there, and which key of it. */
function fileAt(path: string): { source: KubernetesObject; key: string } {
  const mount = container.volumeMounts.find((candidate: { mountPath: string }) =>
    path.startsWith(`${candidate.mountPath}/`),
  );
  expect(mount, `a volume mounted above ${path}`).toBeDefined();
  const volume = pod.volumes.find((candidate: { name: string }) => candidate.name === mount.name);
  const relative = posix.relative(mount.mountPath, path);
  if (volume.secret) {
    expect(volume.secret.secretName).toBe(secret.metadata.name);
    const item = (volume.secret.items ?? []).find(
      (candidate: { path: string }) => candidate.path === relative,
    );
    return { source: secret.stringData, key: item?.key ?? relative };
  }
  expect(volume.configMap?.name).toBe(configMap.metadata.name);
  return { source: configMap.data, key: relative };
}

describe('deploy/kubernetes.yaml', () => {
  it('has a Deployment of several replicas against a git server, a Service, a Secret and a ConfigMap', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(resolvedEnvironment().MANIFEST_REPO_URL).toMatch(/^https:\/\//);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
  });

  it('sets only variables the service knows and docs/configuration.md documents, and they load', () => {
    for (const { name } of env) {
      expect(Object.keys(ConfigSchema.shape), name).toContain(name);
      expect(configurationPage, name).toContain(`\`${name}\``);
    }
    const config = loadConfig(resolvedEnvironment());
    expect(config.AUTH_MODE).toBe('token');
    expect(config.PORT).toBe(container.ports[0].containerPort);
  });

  it('mounts the tokens file from the Secret and the policy and teams from the ConfigMap, and they parse', () => {
    const config = loadConfig(resolvedEnvironment());
    const tokens = fileAt(config.AUTH_TOKENS_FILE as string);
    expect(tokens.source).toBe(secret.stringData);
    expect(parseTokensFile(tokens.source[tokens.key], 'tokens.yaml').length).toBeGreaterThan(0);
    const policy = fileAt(config.RBAC_POLICY_FILE as string);
    expect(parsePolicy(policy.source[policy.key], 'policy.csv').rules.length).toBeGreaterThan(0);
    const teams = fileAt(config.TEAMS_FILE as string);
    expect(parseTeamsFile(teams.source[teams.key], 'teams.yaml').size).toBeGreaterThan(0);
  });

  it("keeps each replica's clone in its own emptyDir, runs as non-root, probes /healthz and /readyz", () => {
    const repoPath = loadConfig(resolvedEnvironment()).MANIFEST_REPO_PATH as string;
    const mount = container.volumeMounts.find((candidate: { mountPath: string }) =>
      repoPath.startsWith(`${candidate.mountPath}/`),
    );
    const volume = pod.volumes.find((candidate: { name: string }) => candidate.name === mount.name);
    expect(volume.emptyDir).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it('gives a pod longer to stop than the service waits for its longest write after SIGTERM', () => {
    // The service's grace, from the example's own settings (test/shutdown.test.ts: it answers the
    // write in flight within it, then exits 0); Kubernetes' SIGKILL must come after it.
    const graceMs = shutdownGraceMs(loadConfig(resolvedEnvironment()));
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs);
  });
});
