// The locks page (/ui/locks): every lock (environment, group, application, team) with its message,
// author, age and suggested lifetime (flagged once exceeded); a form that creates any kind of lock,
// and a "Delete" per lock that asks for a confirmation first. Writes go through ManifestWrites, as
// the API's do: one commit each, authored by the person signed in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { callerOf } from '../../auth/authenticator.js';
import { AppError } from '../../domain/errors.js';
import { parseRfc3339 } from '../../domain/time.js';
import { ERROR_STATUS } from '../../http/errorStatus.js';
import {
  ApplicationNameSchema,
  EnvironmentNameSchema,
  GroupNameSchema,
  LockIdSchema,
  OneLineSchema,
  TeamNameSchema,
} from '../../schemas/names.js';
import type { Overview } from '../../schemas/overview.js';
import type { LockView } from '../../schemas/releaseTrain.js';
import type { OverviewService } from '../../services/overview.js';
import type { LockTarget, ManifestWrites } from '../../services/writes.js';
import {
  ageMs,
  describePerson,
  formatDuration,
  formatTime,
  type LockValidity,
  lockValidity,
  parseLifetime,
  safeLink,
  shortText,
  validityWindow,
} from '../format.js';
import { optional, parseFields, required } from '../forms.js';
import type { Renderer } from '../render.js';
import type { UiSessions } from '../session.js';

export const LOCK_KINDS = {
  environment: 'Environment lock',
  group: 'Group lock (every environment of the group)',
  application: 'Application lock (one application in one environment)',
  team: 'Team lock (the applications of one team in one environment)',
} as const;
type LockKind = keyof typeof LOCK_KINDS;

export interface LockRow {
  readonly kind: LockKind;
  readonly where: string;
  readonly lockId: string;
  readonly message: string;
  readonly author: string;
  readonly created: string;
  readonly age: string;
  readonly lifetime: string;
  /** A timed lock's bounds in words; '' for a lock without. */
  readonly window: string;
  readonly validity: LockValidity;
  /** Older than its suggested lifetime. */
  readonly exceeded: boolean;
  readonly ciLink?: string;
  /** The fields that name it, for its Delete form. */
  readonly target: Readonly<
    Record<'kind' | 'environment' | 'group' | 'application' | 'team' | 'lockId', string>
  >;
}

export interface LocksModel {
  readonly rows: readonly LockRow[];
  readonly environments: readonly string[];
  readonly groups: readonly string[];
  readonly applications: readonly string[];
  readonly teams: readonly string[];
}

type Environment = Overview['environmentGroups'][number]['environments'][number];

const sameLock = (a: LockView, b: LockView | undefined) =>
  b !== undefined &&
  a.message === b.message &&
  a.createdAt === b.createdAt &&
  a.createdBy.name === b.createdBy.name &&
  a.createdBy.email === b.createdBy.email;

export function locksModel(overview: Overview, now: Date): LocksModel {
  const rows: LockRow[] = [];
  const row = (
    kind: LockKind,
    where: string,
    lock: LockView,
    target: Partial<LockRow['target']>,
  ): LockRow => {
    const age = ageMs(lock.createdAt, now);
    const lifetime = parseLifetime(lock.suggestedLifetime);
    const link = safeLink(lock.ciLink);
    return {
      kind,
      where,
      lockId: lock.lockId,
      message: shortText(lock.message),
      author: describePerson(lock.createdBy.name, lock.createdBy.email),
      created: formatTime(lock.createdAt),
      age: age === undefined ? '' : formatDuration(age),
      lifetime: shortText(lock.suggestedLifetime ?? '', 64),
      window: validityWindow(lock),
      validity: lockValidity(lock, now),
      exceeded: age !== undefined && lifetime !== undefined && age > lifetime,
      ...(link ? { ciLink: link } : {}),
      target: {
        kind,
        environment: '',
        group: '',
        application: '',
        team: '',
        lockId: lock.lockId,
        ...target,
      },
    };
  };
  const groups: string[] = [];
  for (const group of overview.environmentGroups) {
    const members = group.environments;
    const isGroup = !(members.length === 1 && members[0]?.name === group.environmentGroupName);
    if (isGroup) groups.push(group.environmentGroupName);
    // A group lock is the same lock in every environment of the group: shown once, removed at once.
    const groupLocks = new Set<string>();
    const first = members[0];
    if (isGroup && first) {
      for (const [lockId, lock] of Object.entries(first.locks)) {
        if (members.every((environment: Environment) => sameLock(lock, environment.locks[lockId]))) {
          groupLocks.add(lockId);
          rows.push(
            row('group', `${group.environmentGroupName} (${members.map((e) => e.name).join(', ')})`, lock, {
              group: group.environmentGroupName,
            }),
          );
        }
      }
    }
    for (const environment of members) {
      for (const [lockId, lock] of Object.entries(environment.locks)) {
        if (groupLocks.has(lockId)) continue;
        rows.push(row('environment', environment.name, lock, { environment: environment.name }));
      }
      for (const [team, locks] of Object.entries(environment.teamLocks)) {
        for (const lock of Object.values(locks)) {
          rows.push(
            row('team', `team ${team} in ${environment.name}`, lock, { environment: environment.name, team }),
          );
        }
      }
      for (const [app, state] of Object.entries(environment.applications)) {
        for (const lock of Object.values(state.locks)) {
          rows.push(
            row('application', `${app} in ${environment.name}`, lock, {
              environment: environment.name,
              application: app,
            }),
          );
        }
      }
    }
  }
  const environments = overview.environmentGroups
    .flatMap((group) => group.environments.map((e) => e.name))
    .sort();
  const applications = new Set(Object.keys(overview.applications));
  for (const group of overview.environmentGroups) {
    for (const environment of group.environments) {
      for (const app of Object.keys(environment.applications)) applications.add(app);
    }
  }
  const teams = new Set(Object.values(overview.applications).map((application) => application.team));
  teams.delete('');
  return {
    rows,
    environments,
    groups: groups.sort(),
    applications: [...applications].sort(),
    teams: [...teams].sort(),
  };
}

const LABELS = {
  kind: 'Kind',
  environment: 'Environment',
  group: 'Group',
  application: 'Application',
  team: 'Team',
  lockId: 'Lock ID',
  message: 'Message',
  suggestedLifetime: 'Suggested lifetime',
  validFrom: 'Valid from (UTC)',
  validUntil: 'Valid until (UTC)',
  confirm: 'Confirmation',
};

const TargetFields = {
  _csrf: z.string(),
  kind: required(z.enum(Object.keys(LOCK_KINDS) as [LockKind, ...LockKind[]])),
  environment: optional(EnvironmentNameSchema),
  group: optional(GroupNameSchema),
  application: optional(ApplicationNameSchema),
  team: optional(TeamNameSchema),
  lockId: required(LockIdSchema),
};

/**
 * A "Valid from" / "Valid until" field: what a datetime-local field sends (2026-12-20T09:00, no
 * offset), read as UTC, as its label says; a time typed with its offset (…+01:00) is taken as it is.
 */
const UtcTimeSchema = z
  .string()
  .trim()
  .max(64)
  .transform((text) => {
    // Minutes only (what the field sends): seconds are :00; no offset: UTC.
    const minutes = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})([Zz]|[+-]\d{2}:\d{2})?$/.exec(text);
    if (minutes) return `${minutes[1]}:00${minutes[2] ?? 'Z'}`;
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/.test(text) ? `${text}Z` : text;
  })
  .refine(
    (text) => parseRfc3339(text) !== undefined,
    'must be a date and time in UTC, such as 2026-12-20T09:00 (or with its offset, such as 2026-12-20T10:00+01:00)',
  );

const CreateForm = {
  ...TargetFields,
  message: required(
    z
      .string()
      .trim()
      .min(1)
      .max(64 * 1024, 'must be at most 64 KiB'),
  ),
  suggestedLifetime: optional(
    OneLineSchema('suggested lifetime', 64).refine(
      (value) => parseLifetime(value) !== undefined,
      'a number and m, h, d or w, such as 30m, 4h, 2d or 1w',
    ),
  ),
  validFrom: optional(UtcTimeSchema),
  validUntil: optional(UtcTimeSchema),
};

const DeleteForm = { ...TargetFields, confirm: optional(z.literal('yes')) };

type TargetInput = z.infer<z.ZodObject<typeof TargetFields>>;

/** The lock a form names; the fields of another kind must be empty, so nothing is silently ignored. */
function lockTarget(fields: TargetInput): LockTarget {
  const needs: Record<LockKind, (keyof typeof LABELS)[]> = {
    environment: ['environment'],
    group: ['group'],
    application: ['environment', 'application'],
    team: ['environment', 'team'],
  };
  const wanted = needs[fields.kind];
  const problems: string[] = [];
  for (const field of ['environment', 'group', 'application', 'team'] as const) {
    const given = fields[field] !== undefined;
    if (wanted.includes(field) && !given)
      problems.push(`${LABELS[field]}: is required for this kind of lock`);
    if (!wanted.includes(field) && given)
      problems.push(`${LABELS[field]}: leave it empty for this kind of lock`);
  }
  if (problems.length > 0) throw new AppError('INVALID_INPUT', problems.join('; '));
  const environment = fields.environment as string;
  switch (fields.kind) {
    case 'environment':
      return { kind: 'environment', environment };
    case 'group':
      return { kind: 'group', group: fields.group as string };
    case 'application':
      return { kind: 'application', environment, app: fields.application as string };
    case 'team':
      return { kind: 'team', environment, team: fields.team as string };
  }
}

export function describeLockTarget(target: LockTarget): string {
  switch (target.kind) {
    case 'environment':
      return `environment ${target.environment}`;
    case 'group':
      return `every environment of group ${target.group}`;
    case 'application':
      return `${target.app} in ${target.environment}`;
    case 'team':
      return `team ${target.team} in ${target.environment}`;
  }
}

interface LocksContext {
  readonly render: Renderer;
  readonly sessions: UiSessions;
  readonly overview: OverviewService;
  readonly writes: ManifestWrites;
  readonly clock: () => Date;
}

export function lockPages(app: FastifyInstance, ui: LocksContext): void {
  const page = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: { values?: Record<string, unknown>; problem?: string; status?: number } = {},
  ) => {
    const overview = await ui.overview.read();
    const now = ui.clock();
    return ui.render.page(request, reply, {
      template: 'locks',
      title: 'Locks',
      section: 'locks',
      status: form.status,
      data: {
        model: locksModel(overview, now),
        nowUtc: formatTime(now.toISOString()),
        // What a datetime-local field can show again of what was typed (its own format, no offset).
        local: (text: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text) ? text : ''),
        kinds: LOCK_KINDS,
        values: form.values ?? {},
        problem: form.problem,
      },
    });
  };

  app.get('/locks', { schema: { hide: true } }, async (request, reply) => {
    parseFields({}, LABELS, request.query);
    return page(request, reply);
  });

  app.post('/locks', { schema: { hide: true } }, async (request, reply) => {
    const values = (request.body ?? {}) as Record<string, unknown>;
    try {
      const fields = parseFields(CreateForm, LABELS, values);
      const target = lockTarget(fields);
      const { commitId } = await ui.writes.createLock(
        target,
        {
          lockId: fields.lockId,
          message: fields.message,
          suggestedLifetime: fields.suggestedLifetime,
          validFrom: fields.validFrom,
          validUntil: fields.validUntil,
        },
        { caller: callerOf(request), requestId: request.id },
      );
      ui.sessions.flash(reply, {
        kind: 'done',
        text: `Created lock '${fields.lockId}' on ${describeLockTarget(target)}${commitId ? ` (commit ${commitId.slice(0, 12)})` : ''}.`,
      });
      return reply.redirect('/ui/locks', 303);
    } catch (error) {
      // A refusal the person can fix is shown on the form, with what they typed.
      if (!(error instanceof AppError) || !isFormProblem(error)) throw error;
      return page(request, reply, { values, problem: error.message, status: ERROR_STATUS[error.code] });
    }
  });

  app.post('/locks/delete', { schema: { hide: true } }, async (request, reply) => {
    const fields = parseFields(DeleteForm, LABELS, request.body);
    const target = lockTarget(fields);
    if (fields.confirm !== 'yes') {
      return ui.render.page(request, reply, {
        template: 'confirmDelete',
        title: `Delete lock ${fields.lockId}?`,
        section: 'locks',
        data: { fields, where: describeLockTarget(target), kind: LOCK_KINDS[fields.kind] },
      });
    }
    const { commitId } = await ui.writes.deleteLock(target, fields.lockId, {
      caller: callerOf(request),
      requestId: request.id,
    });
    ui.sessions.flash(reply, {
      kind: 'done',
      text: `Deleted lock '${fields.lockId}' on ${describeLockTarget(target)}${commitId ? ` (commit ${commitId.slice(0, 12)})` : ''}.`,
    });
    return reply.redirect('/ui/locks', 303);
  });
}

/** Refusals of what the form said (as opposed to the service failing, or a sign-in that ended). */
function isFormProblem(error: AppError): boolean {
  const status = ERROR_STATUS[error.code];
  return status >= 400 && status < 500 && error.code !== 'UNAUTHENTICATED';
}
