import { describe, expect, it } from 'vitest';
import { CorruptRepoError } from '../../src/domain/errors.js';
import { planReleaseTrain } from '../../src/planning/releaseTrain.js';
import { resolveTarget } from '../../src/planning/resolveTarget.js';
import { buildSnapshot, CORRUPT, configFile, LATEST, NOW } from './snapshotBuilder.js';

// Environments inserted out of order; byte order: de < de-2 < de1 < dea < prod10 < prod2.
const snapshot = buildSnapshot({
  environments: {
    prod2: { upstream: LATEST, group: 'europe' },
    dea: { upstream: LATEST, group: 'europe' },
    'de-2': { upstream: LATEST, group: 'europe' },
    prod10: { upstream: LATEST, group: 'europe' },
    de1: { upstream: LATEST, group: 'europe' },
    de: { upstream: LATEST, group: 'europe' },
    // An environment with the same name as a group, not a member of it.
    staging: { upstream: LATEST, group: 'solo' },
    asia: { upstream: LATEST },
    // A group and an environment sharing a name, the environment not being a member.
    canary: { upstream: LATEST },
    'canary-1': { upstream: LATEST, group: 'canary' },
    'canary-2': { upstream: LATEST, group: 'canary' },
  },
});

const EUROPE = ['de', 'de-2', 'de1', 'dea', 'prod10', 'prod2'];

describe('resolveTarget: targetType environment', () => {
  it('resolves an existing environment to just that environment', () => {
    expect(resolveTarget(snapshot, 'asia', 'environment')).toEqual({
      kind: 'resolved',
      resolvedType: 'environment',
      environments: ['asia'],
    });
  });

  it('resolves an environment that is a group member to only that environment', () => {
    expect(resolveTarget(snapshot, 'de1', 'environment')).toEqual({
      kind: 'resolved',
      resolvedType: 'environment',
      environments: ['de1'],
    });
  });

  it('resolves to the environment even when a group of that name exists', () => {
    expect(resolveTarget(snapshot, 'canary', 'environment')).toEqual({
      kind: 'resolved',
      resolvedType: 'environment',
      environments: ['canary'],
    });
  });

  it('does not find a group name that is not an environment', () => {
    expect(resolveTarget(snapshot, 'europe', 'environment')).toEqual({ kind: 'notFound' });
  });

  it('does not find an environment that does not exist', () => {
    expect(resolveTarget(snapshot, 'mars', 'environment')).toEqual({ kind: 'notFound' });
  });
});

describe('resolveTarget: targetType environmentGroup', () => {
  it('resolves a group to its members in ascending byte order', () => {
    expect(resolveTarget(snapshot, 'europe', 'environmentGroup')).toEqual({
      kind: 'resolved',
      resolvedType: 'environmentGroup',
      environments: EUROPE,
    });
  });

  it('resolves a group of one', () => {
    expect(resolveTarget(snapshot, 'solo', 'environmentGroup')).toEqual({
      kind: 'resolved',
      resolvedType: 'environmentGroup',
      environments: ['staging'],
    });
  });

  it('does not find a group that no environment config names (an environment name is not a group)', () => {
    expect(resolveTarget(snapshot, 'asia', 'environmentGroup')).toEqual({ kind: 'notFound' });
  });

  it('does not find any group in a repo without environments', () => {
    expect(resolveTarget(buildSnapshot({}), 'europe', 'environmentGroup')).toEqual({ kind: 'notFound' });
  });

  it('throws CorruptRepoError naming the file when some config.json is corrupt (it could hide a member)', () => {
    const corrupt = buildSnapshot({
      environments: {
        de: { upstream: LATEST, group: 'europe' },
        broken: { config: CORRUPT },
      },
    });
    expect(() => resolveTarget(corrupt, 'europe', 'environmentGroup')).toThrow(CorruptRepoError);
    expect(() => resolveTarget(corrupt, 'europe', 'environmentGroup')).toThrow(configFile('broken'));
  });
});

describe('resolveTarget: targetType unknown', () => {
  it('resolves a group name as the group', () => {
    expect(resolveTarget(snapshot, 'europe', 'unknown')).toEqual({
      kind: 'resolved',
      resolvedType: 'environmentGroup',
      environments: EUROPE,
    });
  });

  it('lets a group win over an environment of the same name', () => {
    expect(resolveTarget(snapshot, 'canary', 'unknown')).toEqual({
      kind: 'resolved',
      resolvedType: 'environmentGroup',
      environments: ['canary-1', 'canary-2'],
    });
  });

  it('resolves an environment name as the environment when no group has that name', () => {
    expect(resolveTarget(snapshot, 'staging', 'unknown')).toEqual({
      kind: 'resolved',
      resolvedType: 'environment',
      environments: ['staging'],
    });
  });

  it('does not find a name that is neither a group nor an environment', () => {
    expect(resolveTarget(snapshot, 'mars', 'unknown')).toEqual({ kind: 'notFound' });
  });

  it('resolves an environment despite a corrupt config elsewhere when no readable config names a group of that name', () => {
    const corrupt = buildSnapshot({
      environments: { asia: { upstream: LATEST }, broken: { config: CORRUPT } },
    });
    expect(resolveTarget(corrupt, 'asia', 'unknown')).toEqual({
      kind: 'resolved',
      resolvedType: 'environment',
      environments: ['asia'],
    });
  });

  it('throws CorruptRepoError rather than reporting not found when a corrupt config could hide the group', () => {
    const corrupt = buildSnapshot({
      environments: { asia: { upstream: LATEST }, broken: { config: CORRUPT } },
    });
    expect(() => resolveTarget(corrupt, 'mars', 'unknown')).toThrow(configFile('broken'));
  });
});

describe('planReleaseTrain: target not found', () => {
  it.each([
    ['environment', 'mars'],
    ['environment', 'europe'],
    ['environmentGroup', 'mars'],
    ['environmentGroup', 'asia'],
    ['unknown', 'mars'],
  ] as const)('reports targetNotFound for targetType %s and target %s, naming both', (targetType, target) => {
    expect(planReleaseTrain(snapshot, { target, targetType, now: NOW })).toEqual({
      kind: 'targetNotFound',
      target,
      targetType,
    });
  });

  it('reports targetNotFound for a group in an empty repo', () => {
    expect(
      planReleaseTrain(buildSnapshot({}), { target: 'europe', targetType: 'environmentGroup', now: NOW }),
    ).toEqual({
      kind: 'targetNotFound',
      target: 'europe',
      targetType: 'environmentGroup',
    });
  });

  it('records the resolved type and the requested type in the plan', () => {
    const outcome = planReleaseTrain(snapshot, { target: 'canary', targetType: 'unknown', now: NOW });
    expect(outcome.kind).toBe('planned');
    if (outcome.kind !== 'planned') return;
    expect(outcome.plan.targetType).toBe('unknown');
    expect(outcome.plan.resolvedType).toBe('environmentGroup');
    expect(outcome.plan.environments.map((e) => e.environment)).toEqual(['canary-1', 'canary-2']);
  });

  it('plans the environments of a group in ascending byte order', () => {
    const outcome = planReleaseTrain(snapshot, {
      target: 'europe',
      targetType: 'environmentGroup',
      now: NOW,
    });
    if (outcome.kind !== 'planned') throw new Error('expected a plan');
    expect(outcome.plan.environments.map((e) => e.environment)).toEqual(EUROPE);
  });
});
