// The release-train page of an environment or group (/ui/trains/{target}): the prognosis, per
// environment what is deployed (the version change per app) and what is skipped and why, with the
// locks that cause it; and "Run release train", which runs the train as the person signed in and
// shows the commit it made and the plan it applied.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { callerOf } from '../../auth/authenticator.js';
import { TargetNameSchema, TeamNameSchema } from '../../schemas/names.js';
import type { OverviewService } from '../../services/overview.js';
import { toLockView } from '../../services/prognosisView.js';
import type { ReleaseTrainPlan, ReleaseTrainService } from '../../services/releaseTrains.js';
import { appSkipReason, environmentSkipReason, type LockLine, lockLine } from '../format.js';
import { optional, parseFields } from '../forms.js';
import type { Renderer } from '../render.js';

/** Up to this many rows in all, every environment of a train page is open; above, each is collapsed. */
const OPEN_ROWS = 300;

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
  };
}

const TrainQuery = { team: optional(TeamNameSchema) };
const RunForm = { _csrf: z.string(), team: optional(TeamNameSchema) };
const LABELS = { team: 'Team', target: 'Environment or group' };

export function trainPages(
  app: FastifyInstance,
  ui: { render: Renderer; trains: ReleaseTrainService; overview: OverviewService },
): void {
  const targetOf = (request: FastifyRequest) =>
    parseFields({ target: TargetNameSchema }, LABELS, request.params).target;

  app.get('/trains/:target', { schema: { hide: true } }, async (request, reply) => {
    const target = targetOf(request);
    const { team } = parseFields(TrainQuery, LABELS, request.query);
    const [{ plan }, teams] = await Promise.all([
      ui.trains.prognosis({ target, targetType: 'unknown', team, caller: callerOf(request) }),
      ui.overview.teams(),
    ]);
    return ui.render.page(request, reply, {
      template: 'train',
      title: `Release train to ${target}`,
      section: 'trains',
      data: { model: trainModel(plan), teams },
    });
  });

  app.post('/trains/:target/run', { schema: { hide: true } }, async (request, reply) => {
    const target = targetOf(request);
    const { team } = parseFields(RunForm, LABELS, request.body);
    const result = await ui.trains.train({
      target,
      targetType: 'unknown',
      team,
      requestId: request.id,
      caller: callerOf(request),
    });
    request.log.info(
      { target, team, commitId: result.commitId },
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
