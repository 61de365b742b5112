import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderTrainCommitMessage } from '../../src/planning/commitMessage.js';
import type { Snapshot } from '../../src/planning/model.js';
import {
  planReleaseTrain,
  type ReleaseTrainPlan,
  type ReleaseTrainRequest,
} from '../../src/planning/releaseTrain.js';
import { GIT_ENV } from '../support/gitFixture.js';
import { buildSnapshot, from, LATEST, lock, NOW } from './snapshotBuilder.js';

function planOf(
  snapshot: Snapshot,
  request: Omit<ReleaseTrainRequest, 'now'> & Partial<Pick<ReleaseTrainRequest, 'now'>>,
): ReleaseTrainPlan {
  const outcome = planReleaseTrain(snapshot, { now: NOW, ...request });
  if (outcome.kind !== 'planned') throw new Error(`expected a plan, got ${JSON.stringify(outcome)}`);
  return outcome.plan;
}

/** Runs `git interpret-trailers --parse` on a message, ignoring any git configuration of the machine. */
function parsedTrailers(message: string): string {
  return execFileSync('git', ['interpret-trailers', '--parse'], {
    input: message,
    encoding: 'utf8',
    env: GIT_ENV,
  });
}

// Group g: one environment per skip cause, one that trains from `up` with every app outcome.
const groupSnapshot = buildSnapshot({
  environments: {
    up: {
      upstream: LATEST,
      apps: {
        alpha: { version: 3 },
        beta: { version: 2 },
        delta: { version: 4 },
        eps: { version: 5 },
        eta: { version: 2 },
        gamma: { queued: 1 },
        zeta: { version: 2 },
      },
    },
    'f-train': {
      group: 'g',
      upstream: from('up'),
      teamLocks: { payments: ['ours'] },
      apps: {
        alpha: { version: 1 },
        beta: { version: 3 },
        delta: { version: 4 },
        eps: { version: 1, locks: ['hold'] },
      },
    },
    'e-missing': { group: 'g', upstream: from('nowhere') },
    'd-both': { group: 'g', upstream: { latest: true, environment: 'up' } },
    'c-neither': { group: 'g', upstream: {} },
    'b-none': { group: 'g' },
    'a-locked': { group: 'g', upstream: LATEST, locks: ['freeze', 'audit'] },
  },
  applications: {
    alpha: { releases: { 1: ['up', 'f-train'], 3: ['up', 'f-train'] } },
    beta: { releases: { 2: ['up', 'f-train'], 3: ['up', 'f-train'] } },
    delta: { releases: { 4: ['up', 'f-train'] } },
    eps: { releases: { 1: ['up', 'f-train'], 5: ['up', 'f-train'] } },
    eta: { team: 'payments', releases: { 2: ['up', 'f-train'] } },
    gamma: { releases: { 1: ['up', 'f-train'] } },
    zeta: { releases: { 2: ['up'] } },
  },
});

const GROUP_BODY = [
  "Release Train to environment/environment group 'g':",
  '',
  "Target Environment 'a-locked' is locked - skipping.",
  '',
  "Environment 'b-none' does not have upstream configured - skipping.",
  '',
  'Environment "c-neither" does not have upstream.latest or upstream.environment configured - skipping.',
  '',
  'Environment "d-both" has both upstream.latest and upstream.environment configured - skipping.',
  '',
  'Could not find environment config for upstream env "nowhere". Target env was "e-missing"',
  '',
  "Release Train to 'f-train' environment:",
  '',
  "The release train deployed 2 services from 'up' to 'f-train'",
  'deployed version 3 of "alpha" to "f-train"',
  'deployed version 2 of "beta" to "f-train"',
  'Skipped services',
  'skipping "delta" because it is already in the version 4',
  'skipping application "eps" in environment "f-train" due to application lock',
  'skipping application "eta" in environment "f-train" due to team lock on team "payments"',
  'skipping because there is no version for application "gamma" in env "up"',
  'skipping application "zeta" in environment "f-train" because it doesn\'t exist there',
];

describe('renderTrainCommitMessage', () => {
  const groupPlan = planOf(groupSnapshot, { target: 'g', targetType: 'environmentGroup' });

  it('renders the exact message of a group train: every skipped-env line, deploy lines, every app skip line, trailers', () => {
    const message = renderTrainCommitMessage(groupPlan, {
      requestId: 'req-42',
      ciLink: 'https://ci.example.com/runs/7',
    });
    expect(message).toBe(
      [
        ...GROUP_BODY,
        '',
        'Release-Train-Target: g',
        'Ci-Link: https://ci.example.com/runs/7',
        'Request-Id: req-42',
      ].join('\n'),
    );
  });

  it('leaves out the Ci-Link trailer when there is no CI link', () => {
    expect(renderTrainCommitMessage(groupPlan, { requestId: 'req-42' })).toBe(
      [...GROUP_BODY, '', 'Release-Train-Target: g', 'Request-Id: req-42'].join('\n'),
    );
  });

  it('renders a train of a single environment from latest, for a team, with the team suffix and trailer', () => {
    const snapshot = buildSnapshot({
      environments: { dev: { upstream: LATEST, apps: { web: { version: 1 }, api: { version: 3 } } } },
      applications: {
        web: { team: 'payments', releases: { 1: ['dev'], 2: ['dev'] } },
        api: { team: 'payments', releases: { 3: ['dev'] } },
        other: { team: 'search', releases: { 1: ['dev'] } },
      },
    });
    const plan = planOf(snapshot, { target: 'dev', targetType: 'environment', team: 'payments' });
    expect(
      renderTrainCommitMessage(plan, {
        requestId: '0b1c2d3e-aaaa-bbbb-cccc-000000000001',
        ciLink: 'https://ci/1',
      }),
    ).toBe(
      [
        "Release Train to environment/environment group 'dev':",
        '',
        "Release Train to 'dev' environment:",
        '',
        "The release train deployed 1 services from 'latest' to 'dev' for team 'payments'",
        'deployed version 2 of "web" to "dev"',
        'Skipped services',
        'skipping "api" because it is already in the version 3',
        '',
        'Release-Train-Target: dev',
        'Release-Train-Team: payments',
        'Ci-Link: https://ci/1',
        'Request-Id: 0b1c2d3e-aaaa-bbbb-cccc-000000000001',
      ].join('\n'),
    );
  });

  it('puts the team suffix on every train block of a group, and no "Skipped services" line when nothing was skipped', () => {
    const snapshot = buildSnapshot({
      environments: {
        a: { group: 'g', upstream: LATEST },
        b: { group: 'g', upstream: LATEST, locks: ['freeze'] },
        c: { group: 'g', upstream: from('a') },
      },
      applications: { web: { team: 'payments', releases: { 1: ['a', 'c'] } } },
    });
    const plan = planOf(snapshot, { target: 'g', targetType: 'environmentGroup', team: 'payments' });
    expect(renderTrainCommitMessage(plan, { requestId: 'r1' })).toBe(
      [
        "Release Train to environment/environment group 'g':",
        '',
        "Release Train to 'a' environment:",
        '',
        "The release train deployed 1 services from 'latest' to 'a' for team 'payments'",
        'deployed version 1 of "web" to "a"',
        '',
        "Target Environment 'b' is locked - skipping.",
        '',
        "Release Train to 'c' environment:",
        '',
        "The release train deployed 0 services from 'a' to 'c' for team 'payments'",
        '',
        'Release-Train-Target: g',
        'Release-Train-Team: payments',
        'Request-Id: r1',
      ].join('\n'),
    );
  });

  it('renders the skip lines of a hand-built plan (previous versions and lock details do not appear)', () => {
    const plan: ReleaseTrainPlan = {
      target: 'prod',
      targetType: 'unknown',
      resolvedType: 'environment',
      team: undefined,
      baseCommitId: 'abc',
      environments: [
        {
          environment: 'prod',
          outcome: {
            kind: 'train',
            source: { kind: 'environment', name: 'staging' },
            apps: [
              {
                app: 'a',
                outcome: { kind: 'skip', cause: 'APP_IS_LOCKED', locks: [lock('l1'), lock('l2')] },
              },
              { app: 'b', outcome: { kind: 'deploy', version: 9, manifestBlobId: 'x', previousVersion: 12 } },
              { app: 'c', outcome: { kind: 'skip', cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' } },
              {
                app: 'd',
                outcome: { kind: 'skip', cause: 'TEAM_IS_LOCKED', team: 'search', locks: [lock('t1')] },
              },
            ],
          },
        },
      ],
    };
    expect(renderTrainCommitMessage(plan, { requestId: 'r' })).toBe(
      [
        "Release Train to environment/environment group 'prod':",
        '',
        "Release Train to 'prod' environment:",
        '',
        "The release train deployed 1 services from 'staging' to 'prod'",
        'deployed version 9 of "b" to "prod"',
        'Skipped services',
        'skipping application "a" in environment "prod" due to application lock',
        'skipping because there is no version for application "c" in env "staging"',
        'skipping application "d" in environment "prod" due to team lock on team "search"',
        '',
        'Release-Train-Target: prod',
        'Request-Id: r',
      ].join('\n'),
    );
  });

  it('git interpret-trailers --parse sees exactly the trailers, in order', () => {
    const snapshot = buildSnapshot({
      environments: { dev: { upstream: LATEST } },
      applications: { web: { team: 'payments', releases: { 1: ['dev'] } } },
    });
    const plan = planOf(snapshot, { target: 'dev', targetType: 'environment', team: 'payments' });
    const message = renderTrainCommitMessage(plan, {
      requestId: 'req-7',
      ciLink: 'https://ci.example.com/r/7',
    });
    expect(parsedTrailers(message)).toBe(
      [
        'Release-Train-Target: dev',
        'Release-Train-Team: payments',
        'Ci-Link: https://ci.example.com/r/7',
        'Request-Id: req-7',
        '',
      ].join('\n'),
    );
  });

  it('git interpret-trailers --parse sees only the trailers after a group body too', () => {
    const message = renderTrainCommitMessage(groupPlan, { requestId: 'req-42' });
    expect(parsedTrailers(message)).toBe('Release-Train-Target: g\nRequest-Id: req-42\n');
  });

  it.each([
    ['a CI link with a newline', { requestId: 'r', ciLink: 'https://ci/1\nSigned-off-by: mallory' }],
    ['a CI link with a carriage return', { requestId: 'r', ciLink: 'https://ci/1\rX: y' }],
    ['a request id with a newline', { requestId: 'r\nApproved: yes' }],
  ])('throws for %s instead of adding a trailer line', (_what, trailers) => {
    expect(() => renderTrainCommitMessage(groupPlan, trailers)).toThrow(/must be one line/);
  });

  it('throws for a team with a newline instead of adding a trailer line', () => {
    const plan: ReleaseTrainPlan = { ...groupPlan, team: 'payments\nApproved: yes' };
    expect(() => renderTrainCommitMessage(plan, { requestId: 'r' })).toThrow(
      /Release-Train-Team must be one line/,
    );
  });

  it('throws for a target with a newline instead of adding a trailer line', () => {
    const plan: ReleaseTrainPlan = { ...groupPlan, target: 'g\nApproved: yes' };
    expect(() => renderTrainCommitMessage(plan, { requestId: 'r' })).toThrow(
      /Release-Train-Target must be one line/,
    );
  });
});
