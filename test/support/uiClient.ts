// A browser without a browser, for the web UI's HTTP-level tests: Fastify's inject with a cookie
// jar, forms sent as a browser sends them (urlencoded), and the CSRF token read from the page.
import type { App } from '../../src/app.js';

export interface UiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
}

export class UiClient {
  /** name -> value, as the browser would send them back. */
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie headers received, newest last. */
  readonly setCookies: string[] = [];

  constructor(private readonly app: App) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<UiResponse> {
    return this.send('GET', url, undefined, headers);
  }

  /** POSTs a form; `_csrf` is added from the page `from` when not given. */
  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.send('POST', url, new URLSearchParams(fields).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  /** The page's CSRF token (every form of a page carries the same). */
  async csrfOf(url: string): Promise<string> {
    const page = await this.get(url);
    return csrfIn(page.body);
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    payload: string | undefined,
    headers: Record<string, string>,
  ): Promise<UiResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.app.inject({
      method,
      url,
      payload,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      this.setCookies.push(line);
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { statusCode: response.statusCode, headers: response.headers, body: response.body };
  }
}

export function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('the page has no CSRF token');
  return match[1];
}

/** The text of an HTML page as read: no tags, the templates' entities decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .replace(/ ([).,:;])/g, '$1')
    .replace(/\( /g, '(')
    .trim();
}

/** The hidden fields of a page's "Run release train" form (the CSRF token, the plan shown). */
export function runFormOf(body: string): Record<string, string> {
  const form = /<form method="post" action="[^"]*\/run" class="run">[\s\S]*?<\/form>/.exec(body)?.[0] ?? '';
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [
      match[1] as string,
      match[2] as string,
    ]),
  );
}
