// A plan in the API's prognosis shape (protobuf JSON mapping of Kuberpult's response).
import type { Lock } from '../planning/model.js';
import type { AppOutcome, EnvironmentOutcome, ReleaseTrainPlan } from '../planning/releaseTrain.js';
import type { EnvsPrognoses, LockView } from '../schemas/releaseTrain.js';
import type { ManifestDiff, ManifestDiffs } from './manifestDiffs.js';

type EnvPrognosis = EnvsPrognoses[string];
type AppPrognosis = NonNullable<EnvPrognosis['appsPrognoses']>['prognoses'][string];

/** `diffs` (a prognosis with ?diff=true): each deployed app's manifest diff, beside its version. */
export function toEnvsPrognoses(plan: ReleaseTrainPlan, diffs?: ManifestDiffs): EnvsPrognoses {
  const result: EnvsPrognoses = {};
  for (const { environment, outcome } of plan.environments) {
    const prognosis = toEnvPrognosis(outcome);
    const envDiffs = diffs?.get(environment);
    if (envDiffs) addDiffs(prognosis, envDiffs);
    result[environment] = prognosis;
  }
  return result;
}

function addDiffs(prognosis: EnvPrognosis, diffs: ReadonlyMap<string, ManifestDiff>): void {
  const apps = prognosis.appsPrognoses?.prognoses ?? {};
  for (const [app, { text, truncated }] of diffs) {
    const appPrognosis = apps[app];
    if (appPrognosis?.deployedVersion === undefined) continue;
    apps[app] = {
      ...appPrognosis,
      manifestDiff: text,
      ...(truncated ? { manifestDiffTruncated: true } : {}),
    };
  }
}

function toEnvPrognosis(outcome: EnvironmentOutcome): EnvPrognosis {
  if (outcome.kind === 'skipped') {
    switch (outcome.cause) {
      case 'ENV_IS_LOCKED':
        return {
          skipCause: outcome.cause,
          envLocks: Object.fromEntries(outcome.locks.map((lock) => [lock.lockId, toLockView(lock)])),
        };
      case 'ENV_OUTSIDE_DEPLOY_WINDOW':
        return {
          skipCause: outcome.cause,
          ...(outcome.nextWindowStart !== undefined ? { nextWindowStart: outcome.nextWindowStart } : {}),
        };
      default:
        return { skipCause: outcome.cause };
    }
  }
  const prognoses: Record<string, AppPrognosis> = {};
  for (const { app, outcome: appOutcome } of outcome.apps) prognoses[app] = toAppPrognosis(appOutcome);
  return { appsPrognoses: { prognoses } };
}

function toAppPrognosis(outcome: AppOutcome): AppPrognosis {
  if (outcome.kind === 'deploy') {
    const undeploy = outcome.undeploy ? { undeployVersion: true as const } : {};
    return { deployedVersion: { version: outcome.version, ...undeploy } };
  }
  switch (outcome.cause) {
    case 'APP_IS_LOCKED':
      return { skipCause: outcome.cause, appLocks: outcome.locks.map(toLockView) };
    case 'TEAM_IS_LOCKED':
      return { skipCause: outcome.cause, teamLocks: outcome.locks.map(toLockView) };
    default:
      return { skipCause: outcome.cause };
  }
}

export function toLockView(lock: Lock): LockView {
  const createdAt = Number.isNaN(Date.parse(lock.createdAt)) ? undefined : lock.createdAt;
  return {
    lockId: lock.lockId,
    message: lock.message,
    ...(createdAt ? { createdAt } : {}),
    createdBy: { name: lock.createdByName, email: lock.createdByEmail },
    ...(lock.ciLink ? { ciLink: lock.ciLink } : {}),
    ...(lock.suggestedLifetime ? { suggestedLifetime: lock.suggestedLifetime } : {}),
    ...(lock.validFrom !== undefined ? { validFrom: lock.validFrom } : {}),
    ...(lock.validUntil !== undefined ? { validUntil: lock.validUntil } : {}),
  };
}
