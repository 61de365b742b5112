// The release-train page of an environment or group (/ui/trains/{target}): the prognosis, per
// environment what is deployed (the version change per app, its manifest diff on demand) and what
// is skipped and why, with the locks that cause it; and "Run release train", which runs exactly the
// plan shown (its plan id as If-Match, plans.md) as the person signed in and shows the commit it
// made. When the plan changed in between, nothing is written: the page (412) says what changed and
// offers the new plan with its own "Run release train".
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { callerOf } from '../../auth/authenticator.js';
import type { Caller } from '../../auth/caller.js';
import { parseRfc3339 } from '../../domain/time.js';
import {
  ApplicationNameSchema,
  EnvironmentNameSchema,
  TargetNameSchema,
  TeamNameSchema,
} from '../../schemas/names.js';
import { PlanIdSchema } from '../../schemas/releaseTrain.js';
import type { ManifestDiff } from '../../services/manifestDiffs.js';
import type { OverviewService } from '../../services/overview.js';
import { PlanChangedError } from '../../services/planIds.js';
import { toLockView } from '../../services/prognosisView.js';
import type { ReleaseTrainPlan, ReleaseTrainService, TrainResult } from '../../services/releaseTrains.js';
import { appSkipReason, environmentSkipReason, type LockLine, lockLine } from '../format.js';
import { optional, parseFields, required } from '../forms.js';
import { type PlanChanges, planChanges } from '../planChanges.js';
import type { Renderer } from '../render.js';

/** Up to this many rows in all, every environment of a train page is open; above, each is collapsed. */
const OPEN_ROWS = 300;
/**
 * Above this many rows in all, a train page lists no environment's applications: each is fetched
 * when its environment is opened (tens of thousands of rows at Kuberpult scale take Chromium
 * seconds to parse, even collapsed; nobody reads them all).
 */
export const INLINE_ROWS = 2000;

export interface TrainEnvironment {
  readonly name: string;
  /** "the latest releases", an environment's name, or "" when skipped before a source was known. */
  readonly source: string;
  readonly skipped?: { readonly cause: string; readonly reason: string; readonly locks: readonly LockLine[] };
  readonly deploys: readonly { readonly app: string; readonly from: string; readonly to: string }[];
  readonly skips: readonly {
    readonly app: string;
    readonly cause: string;
    readonly reason: string;
    readonly locks: readonly LockLine[];
  }[];
  /** Apps that already run the upstream's version. */
  readonly unchanged: readonly string[];
  readonly summary: string;
}

export interface TrainModel {
  readonly target: string;
  readonly kind: 'environment' | 'environment group';
  readonly team: string;
  readonly environments: readonly TrainEnvironment[];
  readonly deployCount: number;
  readonly environmentCount: number;
  readonly open: boolean;
  /** Too many rows to list: each environment's applications come when it is opened. */
  readonly lazy: boolean;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function trainModel(plan: ReleaseTrainPlan): TrainModel {
  let rows = 0;
  let deployCount = 0;
  const environments = plan.environments.map(({ environment, outcome }): TrainEnvironment => {
    if (outcome.kind === 'skipped') {
      const reason = environmentSkipReason(
        outcome.cause,
        outcome.cause === 'UPSTREAM_ENV_CONFIG_NOT_FOUND' ? outcome.upstream : undefined,
      );
      const locks =
        outcome.cause === 'ENV_IS_LOCKED' ? outcome.locks.map((lock) => lockLine(toLockView(lock))) : [];
      rows += 1;
      return {
        name: environment,
        source: '',
        skipped: { cause: outcome.cause, reason, locks },
        deploys: [],
        skips: [],
        unchanged: [],
        summary: `skipped: ${reason}`,
      };
    }
    const source = outcome.source.kind === 'latest' ? 'the latest releases' : outcome.source.name;
    const deploys: { app: string; from: string; to: string }[] = [];
    const skips: TrainEnvironment['skips'][number][] = [];
    const unchanged: string[] = [];
    for (const { app, outcome: appOutcome } of outcome.apps) {
      if (appOutcome.kind === 'deploy') {
        deploys.push({
          app,
          from:
            appOutcome.previousVersion === undefined ? 'not deployed' : String(appOutcome.previousVersion),
          to: String(appOutcome.version),
        });
      } else if (appOutcome.cause === 'APP_ALREADY_IN_UPSTREAM_VERSION') {
        unchanged.push(app);
      } else {
        const locks =
          appOutcome.cause === 'APP_IS_LOCKED' || appOutcome.cause === 'TEAM_IS_LOCKED'
            ? appOutcome.locks.map((lock) => lockLine(toLockView(lock)))
            : [];
        skips.push({
          app,
          cause: appOutcome.cause,
          reason: appSkipReason(appOutcome.cause, {
            source: outcome.source.kind === 'environment' ? outcome.source.name : undefined,
            team: 'team' in appOutcome ? appOutcome.team : undefined,
          }),
          locks,
        });
      }
    }
    rows += deploys.length + skips.length + 1;
    deployCount += deploys.length;
    const parts = [
      `${plural(deploys.length, 'application')} to deploy from ${source}`,
      ...(skips.length > 0 ? [`${skips.length} skipped`] : []),
      ...(unchanged.length > 0 ? [`${unchanged.length} already in the upstream version`] : []),
    ];
    return { name: environment, source, deploys, skips, unchanged, summary: parts.join(', ') };
  });
  return {
    target: plan.target,
    kind: plan.resolvedType === 'environment' ? 'environment' : 'environment group',
    team: plan.team ?? '',
    environments,
    deployCount,
    environmentCount: environments.filter((environment) => environment.deploys.length > 0).length,
    open: rows <= OPEN_ROWS,
    lazy: rows > INLINE_ROWS,
  };
}

/** One line of a manifest diff as a page shows it: added, removed, a hunk or file header, or context. */
export interface DiffLine {
  readonly kind: 'added' | 'removed' | 'hunk' | 'file' | 'context';
  readonly text: string;
}

export interface DiffModel {
  readonly environment: string;
  readonly app: string;
  /** "version 1 to version 2"; '' when the train would not deploy the app. */
  readonly change: string;
  /** Why the train would not deploy the app; '' when it would. */
  readonly notDeployed: string;
  readonly lines: readonly DiffLine[];
  /** Cut at the API's bound (64 KiB), or not read at all (a manifest over 1 MiB). */
  readonly truncated: boolean;
  readonly same: boolean;
}

/** A unified diff's lines, each with its kind: the +/- stay in the text, the page does not rely on colour. */
export function diffLines(text: string): DiffLine[] {
  if (text === '') return [];
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.map((line): DiffLine => {
    if (line.startsWith('+++ ') || line.startsWith('--- ')) return { kind: 'file', text: line };
    if (line.startsWith('@@')) return { kind: 'hunk', text: line };
    if (line.startsWith('+')) return { kind: 'added', text: line };
    if (line.startsWith('-')) return { kind: 'removed', text: line };
    return { kind: 'context', text: line };
  });
}

/** The one-app plan of `app` in `environment`, when the train deploys it there, for its diff alone. */
function onlyDeployment(plan: ReleaseTrainPlan, environment: string, app: string) {
  const outcome = plan.environments.find((e) => e.environment === environment)?.outcome;
  if (outcome?.kind !== 'train') {
    return {
      notDeployed: outcome ? `the environment is skipped: ${environmentSkipReason(outcome.cause)}` : '',
    };
  }
  const appPlan = outcome.apps.find((entry) => entry.app === app);
  if (!appPlan) return { notDeployed: `${app} is not an application of the train to ${environment}` };
  const appOutcome = appPlan.outcome;
  if (appOutcome.kind !== 'deploy') {
    return {
      notDeployed: `it is skipped: ${appSkipReason(appOutcome.cause, {
        source: outcome.source.kind === 'environment' ? outcome.source.name : undefined,
        team: 'team' in appOutcome ? appOutcome.team : undefined,
        version: 'version' in appOutcome ? appOutcome.version : undefined,
      })}`,
    };
  }
  const single: ReleaseTrainPlan = {
    ...plan,
    environments: [{ environment, outcome: { ...outcome, apps: [appPlan] } }],
  };
  const from =
    appOutcome.previousVersion === undefined ? 'not deployed' : `version ${appOutcome.previousVersion}`;
  return { plan: single, change: `${from} to version ${appOutcome.version}` };
}

export function diffModel(
  environment: string,
  app: string,
  change: string,
  notDeployed: string,
  diff: ManifestDiff | undefined,
): DiffModel {
  return {
    environment,
    app,
    change,
    notDeployed,
    lines: diffLines(diff?.text ?? ''),
    truncated: diff?.truncated ?? false,
    same: diff !== undefined && diff.text === '' && !diff.truncated,
  };
}

/**
 * What a "Run release train" form carries besides the team: the id of the plan shown (the train's
 * If-Match) and where and when it was planned, so that a 412 can make the shown plan again and say
 * what differs. Only the id binds the train; the other two only explain.
 */
export interface ShownPlan {
  readonly planId: string;
  /** The commit the plan was made on; '' for an empty repo. */
  readonly planCommit: string;
  /** RFC 3339 UTC. */
  readonly plannedAt: string;
}

const shownPlan = (plan: ReleaseTrainPlan, planId: string, plannedAt: Date): ShownPlan => ({
  planId,
  planCommit: plan.baseCommitId ?? '',
  plannedAt: plannedAt.toISOString(),
});

const CommitIdSchema = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, 'must be a commit id');
const InstantSchema = z
  .string()
  .refine((text) => parseRfc3339(text) !== undefined, 'must be an RFC 3339 time');

const TrainQuery = { team: optional(TeamNameSchema), part: optional(z.literal('rows')) };
const RunForm = {
  _csrf: z.string(),
  team: optional(TeamNameSchema),
  planId: required(PlanIdSchema),
  planCommit: optional(CommitIdSchema),
  plannedAt: optional(InstantSchema),
};
const LABELS = {
  team: 'Team',
  target: 'Environment or group',
  planId: 'Plan id',
  planCommit: 'Plan commit',
  plannedAt: 'Planned at',
};

export function trainPages(
  app: FastifyInstance,
  ui: { render: Renderer; trains: ReleaseTrainService; overview: OverviewService },
): void {
  const targetOf = (request: FastifyRequest) =>
    parseFields({ target: TargetNameSchema }, LABELS, request.params).target;

  app.get('/trains/:target', { schema: { hide: true } }, async (request, reply) => {
    const target = targetOf(request);
    const { team, part } = parseFields(TrainQuery, LABELS, request.query);
    if (part === 'rows' && request.headers['hx-request'] === 'true') {
      // The applications of one environment, for a large group page that lists none (INLINE_ROWS).
      const { plan } = await ui.trains.prognosis({
        target,
        targetType: 'environment',
        team,
        caller: callerOf(request),
      });
      const environment = trainModel(plan).environments[0];
      return ui.render.fragment(reply, 'planEnvironment', { environment, diffs: true });
    }
    const [{ plan, planId, plannedAt }, teams] = await Promise.all([
      ui.trains.prognosis({ target, targetType: 'unknown', team, caller: callerOf(request) }),
      ui.overview.teams(),
    ]);
    return ui.render.page(request, reply, {
      template: 'train',
      title: `Release train to ${target}`,
      section: 'trains',
      data: { model: trainModel(plan), teams, shown: shownPlan(plan, planId, plannedAt), diffs: true },
    });
  });

  // One app's manifest diff in one environment (deployed now -> what a train would write), planned
  // now: a fragment for the script to put under its row, or a page of its own without the script.
  app.get('/trains/:environment/diff/:app', { schema: { hide: true } }, async (request, reply) => {
    const { environment, app: name } = parseFields(
      { environment: EnvironmentNameSchema, app: ApplicationNameSchema },
      { environment: 'Environment', app: 'Application' },
      request.params,
    );
    parseFields({}, LABELS, request.query);
    const { plan } = await ui.trains.prognosis({
      target: environment,
      targetType: 'environment',
      caller: callerOf(request),
    });
    const found = onlyDeployment(plan, environment, name);
    const diff = found.plan
      ? (await ui.trains.manifestDiffs(found.plan)).get(environment)?.get(name)
      : undefined;
    const model = diffModel(environment, name, found.change ?? '', found.notDeployed ?? '', diff);
    if (request.headers['hx-request'] === 'true')
      return ui.render.fragment(reply, 'manifestDiff', { diff: model });
    return ui.render.page(request, reply, {
      template: 'manifestDiffPage',
      title: `Manifest diff of ${name} in ${environment}`,
      section: 'trains',
      data: { diff: model },
    });
  });

  app.post('/trains/:target/run', { schema: { hide: true } }, async (request, reply) => {
    const target = targetOf(request);
    const form = parseFields(RunForm, LABELS, request.body);
    const { team } = form;
    const caller = callerOf(request);
    let result: TrainResult;
    try {
      result = await ui.trains.train({
        target,
        targetType: 'unknown',
        team,
        approvedPlanIds: [form.planId],
        requestId: request.id,
        caller,
      });
    } catch (error) {
      if (!(error instanceof PlanChangedError)) throw error;
      request.log.info(
        { target, team, approvedPlanId: form.planId, currentPlanId: error.planId },
        'release train refused: the plan changed',
      );
      const changes = await changesSince(ui.trains, { target, team, caller }, form, error.plan);
      return ui.render.page(request, reply, {
        template: 'trainChanged',
        title: `Release train to ${target}: the plan changed`,
        section: 'trains',
        status: 412,
        data: {
          model: trainModel(error.plan),
          changes,
          shown: shownPlan(error.plan, error.planId, error.plannedAt),
          diffs: true,
        },
      });
    }
    request.log.info(
      { target, team, commitId: result.commitId, planId: result.planId },
      result.commitId ? 'release train committed' : 'release train deployed nothing',
    );
    return ui.render.page(request, reply, {
      template: 'trainResult',
      title: `Release train to ${target}: done`,
      section: 'trains',
      data: { model: trainModel(result.plan), commitId: result.commitId },
    });
  });
}

/**
 * What differs between the plan the form was shown (made again on its commit at its time) and the
 * current one; undefined when the shown plan cannot be made again with the id the form sent (a
 * changed teams file, a form not from this page): the page then says only that the plan changed.
 */
async function changesSince(
  trains: ReleaseTrainService,
  call: { target: string; team: string | undefined; caller: Caller },
  form: { planId: string; planCommit?: string; plannedAt?: string },
  current: ReleaseTrainPlan,
): Promise<PlanChanges | undefined> {
  if (form.plannedAt === undefined) return undefined;
  try {
    const shown = await trains.prognosisAt(
      { target: call.target, targetType: 'unknown', team: call.team, caller: call.caller },
      form.planCommit ?? null,
      new Date(parseRfc3339(form.plannedAt) as number),
    );
    return shown.planId === form.planId ? planChanges(shown.plan, current) : undefined;
  } catch {
    // The commit is gone or never was one, the target was another then: nothing to compare with.
    return undefined;
  }
}
