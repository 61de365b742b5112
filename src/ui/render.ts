// Pages and fragments from the templates (src/ui/templates, eta: every `<%= %>` is escaped), with
// what every page shows around its content: the navigation, who is signed in, a CSRF token for
// its forms (bound to the person), and the message the previous answer left.
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TEMPLATES_DIRECTORY } from './assets.js';
import { csrfUserOf, type Flash, type UiSessions } from './session.js';

export type Section = 'overview' | 'trains' | 'locks' | 'apps' | 'history' | 'signin' | 'error';

export interface PageView {
  /** A template of src/ui/templates, without `.eta`. */
  readonly template: string;
  readonly title: string;
  readonly section: Section;
  readonly data: object;
  readonly status?: number;
  /** A message for this page (else the one the previous answer left, if any). */
  readonly flash?: Flash;
}

/** What the layout and every form need. */
export interface PageContext {
  readonly title: string;
  readonly section: Section;
  readonly csrf: string;
  readonly flash: Flash | undefined;
  /** The signed-in person; undefined without a session (AUTH_MODE=none, or the sign-in page). */
  readonly user: { readonly name: string; readonly email: string } | undefined;
  readonly authRequired: boolean;
}

export class Renderer {
  private readonly eta = new Eta({ views: TEMPLATES_DIRECTORY, cache: true, defaultExtension: '.eta' });

  constructor(
    private readonly sessions: UiSessions,
    private readonly authRequired: boolean,
  ) {}

  /** The CSRF token of this person for this browser (sets the secret's cookie the first time). */
  csrfToken(request: FastifyRequest, reply: FastifyReply): string {
    return reply.generateCsrf({ userInfo: csrfUserOf(request) });
  }

  page(request: FastifyRequest, reply: FastifyReply, view: PageView): FastifyReply {
    const flash = this.sessions.takeFlash(request, reply);
    const caller = request.caller;
    const page: PageContext = {
      title: view.title,
      section: view.section,
      csrf: this.csrfToken(request, reply),
      flash: view.flash ?? flash,
      user: caller ? { name: caller.name, email: caller.email } : undefined,
      authRequired: this.authRequired,
    };
    const html = this.eta.render(view.template, { ...view.data, page });
    return reply
      .code(view.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(html);
  }

  /** A piece of a page, for the script to put in place (htmx). */
  fragment(reply: FastifyReply, template: string, data: object): FastifyReply {
    return reply.type('text/html; charset=utf-8').send(this.eta.render(template, data));
  }
}
