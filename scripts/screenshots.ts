// npm run screenshots: the README's pictures of the web UI, taken by Chromium (playwright-core,
// Debian's chromium or CHROMIUM_PATH) of the service on the demo repo (what `npm start` creates),
// written to docs/ui-overview.png and docs/ui-train.png.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { seedDemo } from '../src/manifest/demoSeed.js';
import { createManifestRepository } from '../src/manifest/repository.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './chromium.js';

const DOCS = new URL('../docs/', import.meta.url);
/** A fixed time, so that ages and dates on the pictures do not change from run to run. */
const TIME = new Date('2026-11-26T10:00:00.000Z');

const dir = await mkdtemp(join(tmpdir(), 'trainyard-screenshots-'));
const repo = createManifestRepository({ path: join(dir, 'manifest-repo'), branch: 'main' });
await repo.open();
await seedDemo(repo, new Date('2026-11-24T09:30:00.000Z'));
const app = await buildApp({ repo, clock: () => TIME });
const browserServer = await chromium.launchServer({
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: CHROMIUM_FLAGS,
});
try {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.connect(browserServer.wsEndpoint());
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
  for (const [path, file] of [
    ['/ui/', 'ui-overview.png'],
    ['/ui/trains/prod', 'ui-train.png'],
  ] as const) {
    await page.goto(`${url}${path}`, { waitUntil: 'load' });
    // The train page with one manifest diff open, as a person would look at it.
    const diffLink = page.getByRole('link', { name: 'show' }).first();
    if (path.startsWith('/ui/trains/') && (await diffLink.count()) > 0) {
      await diffLink.click();
      await page.getByRole('region', { name: /^Manifest diff of / }).waitFor();
    }
    await page.screenshot({ path: new URL(file, DOCS).pathname, fullPage: true });
    process.stdout.write(`wrote docs/${file}\n`);
  }
  await browser.close();
} finally {
  await browserServer.close();
  await app.close();
  repo.close();
  await rm(dir, { recursive: true, force: true });
}
