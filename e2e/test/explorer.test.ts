import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ImageReport } from '@nixery/explorer';
import { bundledPackageSetPath } from '@nixery/nix-expressions';
import { execa } from 'execa';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestRegistry, type TestRegistry } from './support/registry.js';

// The layer explorer in a real browser (Debian's Chromium driven by playwright-core, no browser
// download) against real registries building the bundled set with Nix. Screenshots go to
// e2e/artifacts/explorer/ (gitignored).
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const ARTIFACTS = join(here, '../artifacts/explorer');
const CHROMIUM = '/usr/bin/chromium';

let browser: Browser;
let registry: TestRegistry;
let slow: TestRegistry;
let dir: string;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'nixery-explorer-'));
  // A package set whose slowDemo is new to the Nix store on every run (a nonce in its
  // derivation) and sleeps a few seconds: a build the page can be seen waiting for.
  const slowSet = join(dir, 'slow-set');
  await mkdir(slowSet);
  await writeFile(
    join(slowSet, 'default.nix'),
    `{ system ? builtins.currentSystem, ... }:
let set = import ${bundledPackageSetPath} { inherit system; slowSeconds = 8; };
in set // { slowDemo = derivation (set.slowDemo.drvAttrs // { explorerNonce = "${randomUUID()}"; }); }
`,
  );
  [registry, slow] = await Promise.all([
    startTestRegistry(),
    startTestRegistry({ env: { NIXERY_PKGS_PATH: slowSet, NIXERY_NIX_SUBSTITUTERS: '' } }),
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
  await registry?.stop();
  await slow?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newPage(width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    // Failed loads are checked by URL below; the build feed's feature check may meet a 404.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(message.text());
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && path !== '/builds' && !path.startsWith('/api/images/')) {
      problems.push(`${response.status()} ${path}`);
    }
  });
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}

const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

async function apiReport(base: TestRegistry, name: string): Promise<ImageReport> {
  const response = await fetch(`${base.url}/api/images/${name}`);
  expect(response.status).toBe(200);
  return (await response.json()) as ImageReport;
}

/** What a client holding `from` downloads for `to`: `to`'s layers whose digest it lacks. */
function downloadBytes(from: ImageReport, to: ImageReport): number {
  const held = new Set(from.layers.map((l) => l.digest));
  const seen = new Set<string>();
  let bytes = 0;
  for (const layer of to.layers) {
    if (layer.digest === null || seen.has(layer.digest) || held.has(layer.digest)) continue;
    seen.add(layer.digest);
    bytes += layer.compressedSize ?? 0;
  }
  return bytes;
}

describe('the layer explorer in Chromium', () => {
  test('front page → packages typed → the picture and the layer list of the built image', async () => {
    const page = await newPage();
    await page.goto(`${registry.url}/`);
    await page.getByLabel('Packages').fill('shell git htop');
    await page.getByRole('button', { name: 'Explore' }).click();
    await page.waitForURL(/\/explore\/shell\/git\/htop$/);
    await page.locator('#treemap .block').first().waitFor({ timeout: 240_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'image-shell-git-htop.png'), fullPage: true });

    const api = await apiReport(registry, 'shell/git/htop');
    const storeLayers = api.layers.filter((l) => l.kind === 'store-paths');
    // One block per store path, one box per layer, as the API lists them.
    expect(await page.locator('#treemap .block').count()).toBe(api.totals.paths);
    expect(await page.locator('#treemap g.layer').count()).toBe(storeLayers.length);
    const blockPaths = await page
      .locator('#treemap .block')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
    expect(new Set(blockPaths)).toEqual(new Set(storeLayers.flatMap((l) => l.paths.map((p) => p.path))));
    // The list: manifest order, the manifest's compressed sizes, the digests.
    const rows = page.locator('#layers tbody tr');
    expect(await rows.count()).toBe(api.layers.length);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({
        digest: tr.getAttribute('data-digest'),
        compressed: Number(tr.querySelectorAll('td')[2]?.getAttribute('data-bytes')),
        nar: Number(tr.querySelectorAll('td')[3]?.getAttribute('data-bytes')),
      })),
    );
    expect(shown).toEqual(
      api.layers.map((l) => ({ digest: l.digest, compressed: l.compressedSize, nar: l.narSize })),
    );
    // Pull commands for the three clients, naming this registry.
    for (const client of ['docker', 'podman', 'skopeo']) {
      expect(await page.locator(`#pull-${client}`).textContent()).toContain(
        `${registry.host}/shell/git/htop:latest`,
      );
    }
    // The copy button puts the command on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: registry.url });
    await page.getByRole('button', { name: 'Copy the podman command' }).click();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(
      await page.locator('#pull-podman').textContent(),
    );
    expect(await page.getByRole('button', { name: 'Copy the podman command' }).textContent()).toBe('Copied');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('hovering a block, and focusing one from the keyboard, shows its details', async () => {
    const page = await newPage();
    await page.goto(`${registry.url}/explore/shell/git/htop`);
    await page.locator('#treemap .block').first().waitFor({ timeout: 240_000 });
    const api = await apiReport(registry, 'shell/git/htop');
    const paths = new Map(
      api.layers.flatMap((l) => l.paths.map((p) => [p.path, { ...p, layer: l.index }] as const)),
    );

    const git = paths.get([...paths.keys()].find((p) => /-git-[0-9]/.test(p))!)!;
    await page.locator(`#treemap .block[data-path="${git.path}"]`).hover();
    await expect.poll(() => page.locator('#details-name').textContent()).toBe(git.name);
    expect(await page.locator('#details-path').textContent()).toBe(git.path);
    expect(Number(await page.locator('#details-size').getAttribute('data-bytes'))).toBe(git.narSize);
    expect(await page.locator('#details-layer').textContent()).toMatch(new RegExp(`^${git.layer} `));
    expect(await page.locator('#details-pulled').textContent()).toBe('requested');
    expect(await page.locator('#details-why').textContent()).not.toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'hover-git.png') });

    // A dependency: its details name the requested packages that pull it in.
    const dependency = [...paths.values()].find((p) => !p.requested && p.pulledInBy.includes('git'))!;
    await page.locator(`#treemap .block[data-path="${dependency.path}"]`).focus();
    await expect.poll(() => page.locator('#details-name').textContent()).toBe(dependency.name);
    expect(await page.locator('#details-pulled').textContent()).toContain('git');
    // Keyboard: Tab moves from block to block, and every block has a label.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string | null>(
      "document.activeElement?.getAttribute('aria-label') ?? null",
    );
    expect(focused).toMatch(/, in layer \d+$/);
    await page.close();
  });

  test("the comparison of two images shows the bytes the API's layers give", async () => {
    const page = await newPage();
    await page.goto(`${registry.url}/explore/shell/git/htop`);
    await page.locator('#compare-with').waitFor({ timeout: 240_000 });
    await page.locator('#compare-with').fill('shell hello');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(/\/explore\?from=/);
    const summary = page.locator('#compare-summary');
    await summary.waitFor({ timeout: 240_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'compare-git-htop-to-hello.png'), fullPage: true });

    const [from, to] = await Promise.all([
      apiReport(registry, 'shell/git/htop'),
      apiReport(registry, 'shell/hello'),
    ]);
    const expected = downloadBytes(from, to);
    const total = to.layers.reduce((sum, l) => sum + (l.compressedSize ?? 0), 0);
    expect(Number(await summary.getAttribute('data-download-bytes'))).toBe(expected);
    expect(Number(await summary.getAttribute('data-shared-bytes'))).toBe(total - expected);
    // The images share their base (bash, coreutils, cacert…): something is shared, not everything.
    expect(total - expected).toBeGreaterThan(0);
    expect(expected).toBeGreaterThan(0);
    // The shared layers of the second image are marked as such, in text.
    const sharedMarks = await page.locator('.side').nth(1).locator('li.shared').count();
    expect(sharedMarks).toBe(to.layers.filter((l) => from.layers.some((f) => f.digest === l.digest)).length);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('a build in progress: the waiting state, then the result without a reload', async () => {
    const page = await newPage();
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await page.goto(`${slow.url}/explore/slowdemo`);
    const building = page.locator('#building');
    await building.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await building.textContent()).toContain('Building slowdemo');
    await page.screenshot({ path: join(ARTIFACTS, 'building-slowdemo.png') });
    // slowDemo sleeps 8 s in Nix: the page is still waiting a moment later.
    await page.waitForTimeout(2000);
    expect(await building.isVisible()).toBe(true);
    expect(await page.locator('#treemap').count()).toBe(0);

    await page.locator('#treemap .block').first().waitFor({ timeout: 240_000 });
    expect(await building.count()).toBe(0);
    expect(navigations).toBe(1);
    const api = await apiReport(slow, 'slowdemo');
    expect(await page.locator('#treemap .block').count()).toBe(api.totals.paths);
    const slowPath = api.layers.flatMap((l) => l.paths).find((p) => p.name === 'slow-demo-1.0');
    expect(slowPath?.requested).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'built-slowdemo.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('an unknown package: the registry error on the page', async () => {
    const page = await newPage();
    await page.goto(`${registry.url}/explore/shell/nosuchpackage`);
    const error = page.locator('#error');
    await error.waitFor({ timeout: 120_000 });
    expect(await error.textContent()).toContain('nosuchpackage');
    expect(await error.textContent()).toContain('404');
    await page.close();
  });

  test('readable at phone width: nothing wider than the screen', async () => {
    const page = await newPage(390);
    await page.goto(`${registry.url}/explore/shell/git/htop`);
    await page.locator('#treemap .block').first().waitFor({ timeout: 240_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'phone-shell-git-htop.png'), fullPage: true });
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
    const chart = await page.locator('#treemap svg').boundingBox();
    expect(chart?.width).toBeLessThanOrEqual(390);
    await page.close();
  });

  test('nixery layers --format html: one offline file that shows the same picture from file://', async () => {
    const { stdout } = await execa(
      'node',
      [
        '--conditions=source',
        '--import',
        'tsx',
        'apps/cli/src/main.ts',
        'layers',
        'shell',
        'git',
        'htop',
        '--format',
        'html',
        '-q',
      ],
      { cwd: ROOT, env: { NIXERY_NIX_SUBSTITUTERS: '' } },
    );
    const file = join(dir, 'shell-git-htop.html');
    await writeFile(file, stdout);
    // Nothing is fetched: no script or stylesheet by URL (the favicon is an empty data: URL).
    expect(stdout.match(/<script[^>]+src=|<link[^>]+href="(?!data:)/)).toBeNull();

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Nothing but the file itself may load: the page is offline.
    const requested: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      requested.push(url);
      return url.startsWith('file:') ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href);
    await page.locator('#treemap .block').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'offline-shell-git-htop.png'), fullPage: true });
    expect(requested.filter((url) => !url.startsWith('file:'))).toEqual([]);
    expect(errors).toEqual([]);

    // The same picture as the registry's page for the same image: the same blocks in the same layers.
    const api = await apiReport(registry, 'shell/git/htop');
    const blocks = await page
      .locator('#treemap .block')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-layer')} ${e.getAttribute('data-path')}`).sort(),
      );
    const expected = api.layers.flatMap((l) => l.paths.map((p) => `${l.index} ${p.path}`)).sort();
    expect(blocks).toEqual(expected);
    await page.locator('#treemap .block').first().hover();
    expect(await page.locator('#details-name').textContent()).not.toBe('');
    await context.close();
  });
});
