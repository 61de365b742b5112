// The application page (/ui/apps/{app}): its releases (version, display version, source commit,
// author, message, created) and where each runs; per environment what is deployed or queued and
// the locks in its way; and a form that deploys a release to an environment by hand, as the
// deployment API does (one commit, authored by the person signed in).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { callerOf } from '../../auth/authenticator.js';
import { MAX_RELEASE_VERSION } from '../../domain/names.js';
import { ApplicationNameSchema, EnvironmentNameSchema } from '../../schemas/names.js';
import type { LockView } from '../../schemas/releaseTrain.js';
import type { ApplicationDetails, ApplicationService } from '../../services/applications.js';
import type { ManifestWrites } from '../../services/writes.js';
import {
  describePerson,
  formatTime,
  type LockLine,
  type LockValidity,
  lockLine,
  lockValidity,
  shortText,
} from '../format.js';
import { parseFields, required } from '../forms.js';
import type { Renderer } from '../render.js';
import type { UiSessions } from '../session.js';

export const LOCK_BEHAVIORS = {
  fail: 'Do not deploy (nothing is written)',
  record: 'Queue it (deployed once the locks are gone and a train or deployment comes)',
  ignore: 'Deploy anyway',
} as const;

export interface ApplicationModel {
  readonly name: string;
  readonly team: string;
  readonly environments: readonly {
    readonly name: string;
    readonly group: string;
    readonly deployed: string;
    readonly queued: string;
    readonly deployedBy: string;
    readonly deployedAt: string;
    readonly locks: readonly (LockLine & { readonly kind: string; readonly validity: LockValidity })[];
  }[];
  readonly releases: readonly {
    readonly version: number;
    readonly displayVersion: string;
    readonly sourceCommitId: string;
    readonly sourceAuthor: string;
    readonly sourceMessage: string;
    readonly created: string;
    readonly undeploy: boolean;
    readonly runsIn: readonly string[];
    readonly environments: readonly string[];
  }[];
  readonly olderReleases: number;
}

export function applicationModel(details: ApplicationDetails, now: Date): ApplicationModel {
  const present = details.environments.filter(
    (environment) =>
      environment.deployedVersion !== undefined ||
      environment.queuedVersion !== undefined ||
      environment.appLocks.length > 0,
  );
  const lockShown = (lock: LockView) => ({ ...lockLine(lock), validity: lockValidity(lock, now) });
  return {
    name: details.name,
    team: details.team,
    environments: present.map((environment) => ({
      name: environment.environment,
      group: environment.group,
      deployed:
        environment.deployedVersion === undefined ? 'not deployed' : String(environment.deployedVersion),
      queued: environment.queuedVersion === undefined ? '' : String(environment.queuedVersion),
      deployedBy: environment.deployedBy ? shortText(environment.deployedBy, 200) : '',
      deployedAt: formatTime(environment.deployedAt),
      locks: [
        ...environment.environmentLocks.map((lock) => ({ ...lockShown(lock), kind: 'environment lock' })),
        ...environment.appLocks.map((lock) => ({ ...lockShown(lock), kind: 'application lock' })),
        ...environment.teamLocks.map((lock) => ({ ...lockShown(lock), kind: `team lock (${details.team})` })),
      ],
    })),
    releases: details.releases.map((release) => ({
      version: release.version,
      displayVersion: shortText(release.displayVersion ?? '', 64),
      sourceCommitId: shortText(release.sourceCommitId ?? '', 64),
      sourceAuthor: describePerson(release.sourceAuthor ?? '', ''),
      sourceMessage: shortText(release.sourceMessage?.split('\n')[0] ?? ''),
      created: formatTime(release.createdAt),
      undeploy: release.undeploy,
      runsIn: details.environments
        .filter((environment) => environment.deployedVersion === release.version)
        .map((environment) => environment.environment),
      environments: release.environments,
    })),
    olderReleases: details.olderReleases,
  };
}

const DeployForm = {
  _csrf: z.string(),
  environment: required(EnvironmentNameSchema),
  version: required(z.coerce.number().int().min(1).max(MAX_RELEASE_VERSION)),
  lockBehavior: required(z.enum(['fail', 'record', 'ignore'])),
};
const LABELS = {
  app: 'Application',
  environment: 'Environment',
  version: 'Release',
  lockBehavior: 'If a lock is in the way',
};

export function applicationPage(
  app: FastifyInstance,
  ui: {
    render: Renderer;
    sessions: UiSessions;
    applications: ApplicationService;
    writes: ManifestWrites;
    clock: () => Date;
  },
): void {
  const appOf = (request: FastifyRequest) =>
    parseFields({ app: ApplicationNameSchema }, LABELS, request.params).app;

  app.get('/apps/:app', { schema: { hide: true } }, async (request, reply) => {
    const name = appOf(request);
    parseFields({}, LABELS, request.query);
    const details = await ui.applications.read(name);
    const environments = details.environments.map((environment) => environment.environment);
    return ui.render.page(request, reply, {
      template: 'application',
      title: name,
      section: 'apps',
      data: {
        model: applicationModel(details, ui.clock()),
        allEnvironments: environments,
        lockBehaviors: LOCK_BEHAVIORS,
      },
    });
  });

  app.post('/apps/:app/deploy', { schema: { hide: true } }, async (request, reply) => {
    const name = appOf(request);
    const { environment, version, lockBehavior } = parseFields(DeployForm, LABELS, request.body);
    const { outcome, commitId } = await ui.writes.deploy(
      { environment, app: name, version, lockBehavior },
      { caller: callerOf(request), requestId: request.id },
    );
    const what = outcome === 'queued' ? 'Queued' : 'Deployed';
    ui.sessions.flash(reply, {
      kind: 'done',
      text: commitId
        ? `${what} version ${version} of ${name} in ${environment} (commit ${commitId.slice(0, 12)}).`
        : `Version ${version} of ${name} was already ${outcome} in ${environment}; nothing changed.`,
    });
    return reply.redirect(`/ui/apps/${name}`, 303);
  });
}
