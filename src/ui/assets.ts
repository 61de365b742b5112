// Where the web UI's files are, found from the package root, so that the same code finds them when
// it runs from src/ (tsx, npm run dev) and from dist/ (npm start): the templates and the style
// sheet stay in src/ui and ship with it (package.json `files`, the Dockerfile), and the script is
// htmx as npm installed it (a production dependency).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** src/ui/assets.ts and dist/ui/assets.js both sit two levels below the package root. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const TEMPLATES_DIRECTORY = `${PACKAGE_ROOT}src/ui/templates`;

export interface StaticAsset {
  readonly contentType: string;
  readonly content: Buffer;
  readonly gzipped: Buffer;
  /** A strong validator of the content (ETag). */
  readonly etag: string;
}

function asset(contentType: string, content: Buffer): StaticAsset {
  const digest = createHash('sha256').update(content).digest('base64url').slice(0, 22);
  return { contentType, content, gzipped: gzipSync(content, { level: 9 }), etag: `"${digest}"` };
}

let loaded: ReadonlyMap<string, StaticAsset> | undefined;

/**
 * The files the UI serves under /ui/static/, by name: read (and compressed) once per process,
 * when the first app is built; they are part of the installed package and never change.
 */
export function loadStaticAssets(): ReadonlyMap<string, StaticAsset> {
  loaded ??= readStaticAssets();
  return loaded;
}

function readStaticAssets(): ReadonlyMap<string, StaticAsset> {
  const require = createRequire(import.meta.url);
  return new Map([
    ['style.css', asset('text/css; charset=utf-8', readFileSync(`${PACKAGE_ROOT}src/ui/static/style.css`))],
    [
      'htmx.min.js',
      asset('text/javascript; charset=utf-8', readFileSync(require.resolve('htmx.org/dist/htmx.min.js'))),
    ],
  ]);
}
