import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ImageReport } from './report.js';

/**
 * The built front end (`vite build` at `pnpm build`): `index.html`, `explorer.js`,
 * `explorer.css`. The registry serves this folder under `/explorer-assets/`; the same path from
 * `src/` and from `dist/`.
 */
export const EXPLORER_ASSETS_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

/** The URL prefix the bundle was built for (vite.config.ts `base`). */
export const EXPLORER_ASSETS_BASE = '/explorer-assets/';

export class ExplorerNotBuiltError extends Error {
  override readonly name = 'ExplorerNotBuiltError';
}

async function readAsset(name: string): Promise<string> {
  try {
    return await readFile(`${EXPLORER_ASSETS_DIR}${name}`, 'utf8');
  } catch (error) {
    throw new ExplorerNotBuiltError(
      `the explorer's front end is not built (${name} missing under ${EXPLORER_ASSETS_DIR}); run pnpm build`,
      { cause: error },
    );
  }
}

/** The page every `/explore…` URL answers with: the built index.html. */
export function explorerPage(): Promise<string> {
  return readAsset('index.html');
}

/** Inside a `<script>` element: no `</script`, no `<!--` (JSON and the bundle both stay valid). */
const scriptSafe = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/**
 * One self-contained HTML file: the bundle, its styles and the report inline, no network
 * needed (`nixery layers --format html`). The page finds the report in `#explorer-data`.
 */
export async function standaloneHtml(report: ImageReport): Promise<string> {
  const [page, script, style] = await Promise.all([
    explorerPage(),
    readAsset('explorer.js'),
    readAsset('explorer.css'),
  ]);
  const json = JSON.stringify(report).replace(/</g, '\\u003c');
  const head = page
    .replace(/<script type="module"[^>]*src="[^"]*explorer\.js"[^>]*><\/script>/, '')
    .replace(/<link rel="stylesheet"[^>]*href="[^"]*explorer\.css"[^>]*>/, '');
  return head
    .replace('</head>', () => `<style>${style.replace(/<\/(style)/gi, '<\\/$1')}</style>\n</head>`)
    .replace(
      '</body>',
      () =>
        `<script id="explorer-data" type="application/json">${json}</script>\n` +
        `<script type="module">${scriptSafe(script)}</script>\n</body>`,
    );
}
