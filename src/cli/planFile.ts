// Plan files (plans.md "CLI"): `trainyard prognosis --out plan.json` writes the prognosis with its
// plan id, target, type and team; `trainyard release-train --plan plan.json` runs exactly that
// plan (If-Match) and, when it changed, says which environments and apps differ. Pure: the file's
// text in, a command or a UsageError out.
import type { EnvsPrognoses } from '../schemas/releaseTrain.js';
import { UsageError } from './flags.js';
import { checkName, type PlannedTrainCommand, type TrainCommand } from './subcommands.js';

/** What the file holds. */
export interface PlanFile {
  readonly planId: string;
  readonly target: string;
  readonly targetType: 'environment' | 'environmentGroup';
  readonly team?: string;
  readonly envsPrognoses: EnvsPrognoses;
}

const PLAN_ID = /^[0-9a-f]{64}$/;

/** The file of a prognosis: its answer, the plan id of its ETag, and the target as the train will name it. */
export function planFileOf(command: TrainCommand, planId: string, body: unknown): PlanFile {
  const envsPrognoses = (body as { envsPrognoses?: EnvsPrognoses } | undefined)?.envsPrognoses ?? {};
  return {
    planId,
    target: command.target,
    targetType: command.group ? 'environmentGroup' : 'environment',
    ...(command.team !== undefined ? { team: command.team } : {}),
    envsPrognoses,
  };
}

/** The train of a plan file: its target, type and team; a flag given too must agree (else UsageError). */
export function trainOfPlanFile(command: PlannedTrainCommand, text: string): TrainCommand {
  const plan = parsePlanFile(command.planFile, text);
  const group = plan.targetType === 'environmentGroup';
  const conflict = (flag: string, given: string, inFile: string) =>
    new UsageError(
      `the ${flag} arg ${given} conflicts with the plan file '${command.planFile}', which has ${inFile}; leave it out or use another plan`,
    );
  if (command.target !== undefined && command.target !== plan.target) {
    throw conflict('--target-environment', `'${command.target}'`, `target '${plan.target}'`);
  }
  if (command.group !== undefined && command.group !== group) {
    throw conflict('--use_env_group_target', String(command.group), `a target of type ${plan.targetType}`);
  }
  if (command.team !== undefined && command.team !== plan.team) {
    throw conflict(
      '--team',
      `'${command.team}'`,
      plan.team === undefined ? 'no team' : `team '${plan.team}'`,
    );
  }
  return {
    kind: 'release-train',
    target: plan.target,
    group,
    ...(plan.team !== undefined ? { team: plan.team } : {}),
    ...(command.ciLink !== undefined ? { ciLink: command.ciLink } : {}),
    approvedPlan: { file: command.planFile, planId: plan.planId, envsPrognoses: plan.envsPrognoses },
  };
}

function parsePlanFile(file: string, text: string): PlanFile {
  const invalid = (reason: string) =>
    new UsageError(
      `the --plan file '${file}' is not a plan written by 'trainyard prognosis --out': ${reason}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('it is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('not a JSON object');
  const { planId, target, targetType, team, envsPrognoses } = parsed as Record<string, unknown>;
  if (typeof planId !== 'string' || !PLAN_ID.test(planId)) throw invalid('planId is not 64 hex digits');
  if (typeof target !== 'string') throw invalid('target is missing');
  if (targetType !== 'environment' && targetType !== 'environmentGroup') {
    throw invalid('targetType is neither environment nor environmentGroup');
  }
  if (team !== undefined && typeof team !== 'string') throw invalid('team is not a string');
  if (typeof envsPrognoses !== 'object' || envsPrognoses === null || Array.isArray(envsPrognoses)) {
    throw invalid('envsPrognoses is not an object');
  }
  // The names reach a URL: the rules of the flags hold for them too.
  checkName('target-environment', target);
  if (team !== undefined) checkName('team', team);
  return {
    planId,
    target,
    targetType,
    ...(team !== undefined ? { team } : {}),
    envsPrognoses: envsPrognoses as EnvsPrognoses,
  };
}

type EnvPrognosis = EnvsPrognoses[string];
type AppPrognosis = NonNullable<EnvPrognosis['appsPrognoses']>['prognoses'][string];

/**
 * Where the current plan differs from the approved one, one line per environment or app:
 * `prod-ca/checkout: approved: deploy version 2; now: skipped, APP_IS_LOCKED`.
 */
export function planChanges(approved: EnvsPrognoses, current: EnvsPrognoses): string[] {
  const lines: string[] = [];
  for (const environment of unionOfKeys(approved, current)) {
    const before = approved[environment];
    const after = current[environment];
    const beforeApps = before?.appsPrognoses?.prognoses;
    const afterApps = after?.appsPrognoses?.prognoses;
    if (!beforeApps || !afterApps) {
      const was = describeEnvironment(before);
      const now = describeEnvironment(after);
      if (was !== now) lines.push(`${environment}: approved: ${was}; now: ${now}`);
      continue;
    }
    for (const app of unionOfKeys(beforeApps, afterApps)) {
      const was = describeApp(beforeApps[app]);
      const now = describeApp(afterApps[app]);
      if (was !== now) lines.push(`${environment}/${app}: approved: ${was}; now: ${now}`);
    }
  }
  return lines;
}

function unionOfKeys(...records: readonly Readonly<Record<string, unknown>>[]): string[] {
  return [...new Set(records.flatMap((record) => Object.keys(record)))].sort();
}

function describeEnvironment(prognosis: EnvPrognosis | undefined): string {
  if (prognosis === undefined) return 'not in the plan';
  if (prognosis.skipCause !== undefined) return `skipped, ${prognosis.skipCause}`;
  const apps = Object.values(prognosis.appsPrognoses?.prognoses ?? {});
  const deployed = apps.filter((app) => app.deployedVersion !== undefined).length;
  return `${deployed} to deploy, ${apps.length - deployed} skipped`;
}

function describeApp(prognosis: AppPrognosis | undefined): string {
  if (prognosis === undefined) return 'not in the plan';
  if (prognosis.deployedVersion !== undefined) return `deploy version ${prognosis.deployedVersion.version}`;
  return `skipped, ${prognosis.skipCause ?? 'no reason given'}`;
}
