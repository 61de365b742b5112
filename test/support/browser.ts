// A real browser for the web UI's tests: Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
// driven by playwright-core, one per test file (a launch takes seconds). It runs in a process group
// of its own, which the file's afterAll stops whether its tests passed or not. Every page a test
// opens goes through a context that records each request, so a test can assert that nothing left
// the service's origin; axe-core judges the accessibility of a page.
import type { AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import {
  type Browser,
  type BrowserContext,
  type BrowserServer,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../../scripts/chromium.js';
import type { Harness } from './appHarness.js';

/** The browser of this test file: launched in its beforeAll, stopped (its whole group) in its afterAll. */
export function browserPerFile(): () => Browser {
  let server: BrowserServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    // launchServer: the browser's process is known, so that its group can be stopped for sure.
    server = await chromium.launchServer({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    browser = await chromium.connect(server.wsEndpoint());
  }, 60_000);
  afterAll(async () => {
    const pid = server?.process().pid;
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
  });
  return () => {
    if (!browser) throw new Error('the browser did not start');
    return browser;
  };
}

/** A harness's app listening on 127.0.0.1 (a port of its own; a shared harness listens once); its URL. */
export async function listen(h: Harness): Promise<string> {
  if (!h.app.server.listening) await h.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

export interface RecordedContext {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request the pages made, in order: its URL, and the page it was made from. */
  readonly requests: { readonly url: string; readonly from: string }[];
  /** Errors the pages reported (console errors, a CSP violation, an uncaught exception), with the page. */
  readonly errors: { readonly text: string; readonly from: string }[];
  close(): Promise<void>;
}

/**
 * A fresh context (no cookies) with one page; every request is recorded, and one to another
 * origin than `origins` is refused (and recorded).
 */
export async function openContext(
  browser: Browser,
  origins: readonly string[],
  options: { javaScriptEnabled?: boolean } = {},
): Promise<RecordedContext> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
  const requests: { url: string; from: string }[] = [];
  // Every request, a redirect's next hop too (routes see only the first).
  context.on('request', (request) => requests.push({ url: request.url(), from: request.frame().url() }));
  await context.route('**/*', async (route) => {
    if (origins.includes(new URL(route.request().url()).origin)) await route.continue();
    else await route.abort('blockedbyclient');
  });
  const errors: { text: string; from: string }[] = [];
  context.on('console', (message) => {
    if (message.type() === 'error') errors.push({ text: message.text(), from: message.page()?.url() ?? '' });
  });
  context.on('weberror', (error) =>
    errors.push({ text: String(error.error()), from: error.page()?.url() ?? '' }),
  );
  const page = await context.newPage();
  return { context, page, requests, errors, close: () => context.close() };
}

/** No serious or critical accessibility violation on the page (axe-core, WCAG 2.x A and AA). */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    // In the page itself: the pages have no frames, and the blank page the default mode opens to
    // gather the results costs seconds on a busy machine.
    .setLegacyMode(true)
    .analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 3).map((node) => node.target.join(' ')),
    }));
  expect(serious, `axe-core on ${page.url()}`).toEqual([]);
}

/** Waits until the locator finds a visible element (the page may still be loading); its text. */
export async function shown(locator: Locator): Promise<string> {
  await locator.first().waitFor({ state: 'visible' });
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText: the text as rendered, as a person reads it
  return locator.first().innerText();
}

/** The page's h1, once there is one with this text (after a navigation, the new page's). */
export async function onPage(page: Page, heading: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor({ state: 'visible' });
}
