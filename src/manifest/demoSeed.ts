// The demo that a freshly created default repo starts with, so that the first prognosis of
// the README shows something real: dev -> staging -> a prod group of three regions.

import type { TreeChange } from '../planning/changes.js';
import type { ManifestRepository } from './repository.js';

const DEMO_AUTHOR = { name: 'Trainyard Demo', email: 'demo@trainyard.invalid' };

const ENVIRONMENTS: Record<string, object> = {
  dev: { upstream: { latest: true } },
  staging: { upstream: { environment: 'dev' } },
  'prod-de': { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
  'prod-fr': { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
  'prod-us': { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
};

/** app -> [team, version in dev, in staging, in each prod region] */
const APPS: Record<string, [team: string, dev: number, staging: number, prod: number]> = {
  checkout: ['shop', 4, 3, 2],
  cart: ['shop', 3, 3, 2],
  search: ['discovery', 5, 4, 3],
  billing: ['payments', 2, 2, 1],
  'status-page': ['', 2, 1, 1],
};

export async function seedDemo(repo: ManifestRepository, time: Date): Promise<string> {
  const createdAt = time.toISOString();
  const changes: TreeChange[] = [];
  const file = (path: string, content: string) => changes.push({ kind: 'file', path, content });
  const lock = (path: string, message: string) => {
    file(`${path}/message`, message);
    file(`${path}/created_by_name`, DEMO_AUTHOR.name);
    file(`${path}/created_by_email`, DEMO_AUTHOR.email);
    file(`${path}/created_at`, createdAt);
  };

  for (const [environment, config] of Object.entries(ENVIRONMENTS)) {
    file(`environments/${environment}/config.json`, `${JSON.stringify(config, null, 2)}\n`);
  }
  for (const [app, [team, ...versions]] of Object.entries(APPS)) {
    if (team) file(`applications/${app}/team`, team);
    const latest = Math.max(...versions);
    for (let version = 1; version <= latest; version++) {
      const release = `applications/${app}/releases/${version}`;
      file(`${release}/created_at`, createdAt);
      file(`${release}/source_commit_id`, `${version}`.repeat(40).slice(0, 40));
      file(`${release}/source_message`, `${app}: change number ${version}`);
      for (const environment of Object.keys(ENVIRONMENTS)) {
        file(`${release}/environments/${environment}/manifests.yaml`, manifest(app, version, environment));
      }
    }
    const [dev, staging, prod] = versions as [number, number, number];
    const deployed: Record<string, number> = {
      dev,
      staging,
      'prod-de': prod,
      'prod-fr': prod,
      'prod-us': prod,
    };
    for (const [environment, version] of Object.entries(deployed)) {
      const appPath = `environments/${environment}/applications/${app}`;
      changes.push({
        kind: 'symlink',
        path: `${appPath}/version`,
        target: `../../../../applications/${app}/releases/${version}`,
      });
      file(`${appPath}/manifests/manifests.yaml`, manifest(app, version, environment));
      file(`${appPath}/deployed_by`, DEMO_AUTHOR.name);
      file(`${appPath}/deployed_by_email`, DEMO_AUTHOR.email);
      file(`${appPath}/deployed_at_utc`, createdAt);
    }
  }
  lock('environments/prod-fr/locks/maintenance-window', 'cluster upgrade in progress');
  lock('environments/prod-de/applications/search/locks/incident-4711', 'search latency under investigation');
  lock('environments/prod-us/teams/payments/locks/audit', 'payments audit: no changes this week');

  const commitId = await repo.commit({
    parent: await repo.readTip(),
    changes,
    message:
      'Seed the Trainyard demo\n\nA dev -> staging -> prod (de, fr, us) pipeline with five apps of three teams.',
    author: DEMO_AUTHOR,
    time,
  });
  if (commitId === null) throw new Error('the demo changed nothing');
  return commitId;
}

function manifest(app: string, version: number, environment: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${app}`,
    `  labels: { environment: ${environment} }`,
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    `        - name: ${app}`,
    `          image: registry.example.com/${app}:${version}.0.0`,
    '',
  ].join('\n');
}
