// GET /metrics after trains: what an operator's dashboard reads.
import { afterEach, describe, expect, it } from 'vitest';
import { RefConflictError } from '../../src/domain/errors.js';
import type { ChainChanges } from '../../src/manifest/repository.js';
import { type Harness, startHarness } from '../support/appHarness.js';
import { WORLD } from './world.js';

let harness: Harness;
afterEach(async () => harness?.close());

async function metrics(): Promise<string> {
  const response = await harness.app.inject({ url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.body;
}

describe('GET /metrics', () => {
  it('counts trains by outcome, deployments by environment and skips by cause', async () => {
    harness = await startHarness(WORLD);
    await harness.app.inject({ method: 'PUT', url: '/api/environment-groups/prod/releasetrain' });
    await harness.app.inject({ method: 'PUT', url: '/api/environments/prod-de/releasetrain' });
    await harness.app.inject({ method: 'PUT', url: '/api/environments/nowhere/releasetrain' });
    const text = await metrics();
    expect(text).toContain(
      'trainyard_release_trains_total{target_type="environmentGroup",outcome="committed"} 1',
    );
    expect(text).toContain('trainyard_release_trains_total{target_type="environment",outcome="nothing"} 1');
    expect(text).toContain('trainyard_release_trains_total{target_type="environment",outcome="error"} 1');
    expect(text).toContain('trainyard_deployments_total{environment="prod-ca"} 1');
    expect(text).toContain('trainyard_app_skips_total{cause="TEAM_IS_LOCKED"} 1');
    expect(text).toContain('trainyard_app_skips_total{cause="APP_IS_LOCKED"} 1');
    expect(text).toMatch(
      /trainyard_release_train_duration_seconds_count\{target_type="environmentGroup"\} 1/,
    );
    expect(text).toContain('trainyard_write_queue_depth 0');
    expect(text).toMatch(
      /trainyard_http_request_duration_seconds_count\{method="PUT",route="\/api\/environment-groups\/:group\/releasetrain",status_code="200"\} 1/,
    );
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts writes planned again after the branch moved', async () => {
    harness = await startHarness(WORLD);
    const original = harness.repo.commitChain.bind(harness.repo);
    let conflicts = 1;
    harness.repo.commitChain = async (request: ChainChanges) => {
      if (conflicts-- > 0) throw new RefConflictError('refs/heads/main');
      return original(request);
    };
    await harness.app.inject({ method: 'PUT', url: '/api/environments/prod-ca/releasetrain' });
    expect(await metrics()).toContain('trainyard_git_push_retries_total 1');
  });
});
