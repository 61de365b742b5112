// The history page (/ui/history): the /api/history entries, newest first, filterable by
// environment and application (in the URL).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from '../../schemas/history.js';
import { ApplicationNameSchema, EnvironmentNameSchema } from '../../schemas/names.js';
import type { HistoryService } from '../../services/history.js';
import { describePerson, formatTime, safeLink, shortText } from '../format.js';
import { optional, parseFields } from '../forms.js';
import type { Renderer } from '../render.js';

const HistoryQuery = {
  environment: optional(EnvironmentNameSchema),
  application: optional(ApplicationNameSchema),
  limit: optional(z.coerce.number().int().min(1).max(HISTORY_MAX_LIMIT)),
};
const LABELS = { environment: 'Environment', application: 'Application', limit: 'Entries' };

export function historyPage(app: FastifyInstance, ui: { render: Renderer; history: HistoryService }): void {
  app.get('/history', { schema: { hide: true } }, async (request, reply) => {
    const {
      environment,
      application,
      limit = HISTORY_DEFAULT_LIMIT,
    } = parseFields(HistoryQuery, LABELS, request.query);
    const { entries } = await ui.history.read({ environment, application, limit });
    return ui.render.page(request, reply, {
      template: 'history',
      title: 'History',
      section: 'history',
      data: {
        filter: { environment: environment ?? '', application: application ?? '', limit },
        entries: entries.map((entry) => ({
          time: formatTime(entry.time),
          kind: entry.kind,
          summary: shortText(entry.summary),
          author: describePerson(entry.author.name, entry.author.email),
          commitId: entry.commitId,
          requestId: entry.requestId ?? '',
          ciLink: safeLink(entry.ciLink),
        })),
        maxLimit: HISTORY_MAX_LIMIT,
      },
    });
  });
}
