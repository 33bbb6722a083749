import type { ImageReport, LayerReport } from '../../src/report.js';
import { ApiError, fetchImage, fetchRecent } from './api.js';
import { followBuild } from './builds.js';
import { compareImages } from './compare.js';
import { formatBytes, h, shortDigest } from './format.js';
import { describePathPlacement, describeReason } from './reasons.js';
import './style.css';
import { type Block, layerColor, renderTreemap } from './treemap.js';

const app = document.getElementById('app')!;

/** The page `nixery layers --format html` writes carries its report inline and needs no registry. */
function embeddedReport(): ImageReport | null {
  const element = document.getElementById('explorer-data');
  return element?.textContent ? (JSON.parse(element.textContent) as ImageReport) : null;
}

function start(): void {
  const embedded = embeddedReport();
  if (embedded) {
    document.querySelector('header.site')?.remove();
    showImage(embedded, { offline: true });
    return;
  }
  const url = new URL(location.href);
  const rest = url.pathname.replace(/^\/explore\/?/, '');
  const tag = url.searchParams.get('tag') ?? 'latest';
  const from = url.searchParams.get('from');
  const to = url.searchParams.get('to');
  if (rest === '' && from && to) void showComparison(from, to, tag);
  else if (rest === '') void showStart();
  else void loadImage(decodeURIComponent(rest.replace(/\/+$/, '')), tag);
}

/** `shell git, htop` or `shell/git/htop` → `shell/git/htop`. */
function imageNameFrom(input: string): string {
  return input
    .trim()
    .split(/[\s,/]+/)
    .filter(Boolean)
    .join('/');
}

function explorePath(name: string, tag = 'latest'): string {
  return `/explore/${name}${tag === 'latest' ? '' : `?tag=${encodeURIComponent(tag)}`}`;
}

async function showStart(): Promise<void> {
  document.title = 'Layer explorer · nixery-ts';
  const input = h('input', {
    id: 'packages',
    name: 'packages',
    required: true,
    placeholder: 'shell git htop',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const form = h(
    'form',
    { class: 'explore-form', role: 'search' },
    h('label', { for: 'packages' }, 'Packages (separated by spaces or slashes)'),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Explore')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = imageNameFrom(input.value);
    if (name) location.assign(explorePath(name));
  });
  const recent = h('ul', { class: 'recent' });
  app.replaceChildren(
    h('h1', {}, 'Layer explorer'),
    h(
      'p',
      {},
      'See how an image is split into layers: which store paths go where, how big each is, and what other images share.',
    ),
    form,
    h('h2', {}, 'Recently built here'),
    recent,
  );
  input.focus();
  const images = await fetchRecent().catch(() => []);
  if (images.length === 0)
    recent.replaceWith(h('p', {}, 'No image has been built since this instance started.'));
  for (const image of images) {
    recent.append(
      h('li', {}, h('a', { href: explorePath(image.name, image.tag) }, `${image.name}:${image.tag}`)),
    );
  }
}

/** The waiting state while the registry builds: elapsed time, and stages and Nix log lines where the feed exists. */
function waiting(name: string): { element: HTMLElement; stop(): void } {
  const elapsed = h('span', { class: 'elapsed' }, '0 s');
  const stage = h(
    'p',
    { class: 'stage' },
    'Waiting for the registry to build the image (or find it in its caches)…',
  );
  const log = h('ol', { class: 'log', 'aria-label': 'Nix log' });
  const element = h(
    'section',
    { id: 'building', role: 'status', 'aria-live': 'polite' },
    h('h2', {}, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ` Building ${name} `, elapsed),
    stage,
    log,
  );
  const started = Date.now();
  const timer = setInterval(() => {
    elapsed.textContent = `${Math.round((Date.now() - started) / 1000)} s`;
  }, 1000);
  const feed = followBuild(name, {
    onStage: (text) => {
      stage.textContent = text;
    },
    onLog: (line) => {
      log.append(h('li', {}, line));
      while (log.childElementCount > 200) log.firstElementChild?.remove();
    },
  });
  return {
    element,
    stop() {
      clearInterval(timer);
      feed.stop();
    },
  };
}

function showError(name: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const status =
    error instanceof ApiError && error.status
      ? ` (HTTP ${error.status}${error.code ? `, ${error.code}` : ''})`
      : '';
  app.replaceChildren(
    h('h1', {}, 'Image ', h('code', {}, name)),
    h(
      'div',
      { class: 'error', role: 'alert', id: 'error' },
      h('strong', {}, `Could not show this image${status}: `),
      message,
    ),
    h('p', {}, h('a', { href: '/explore' }, 'Try other packages')),
  );
}

async function loadImage(name: string, tag: string): Promise<void> {
  document.title = `${name} · layer explorer`;
  const wait = waiting(name);
  app.replaceChildren(h('h1', {}, 'Image ', h('code', {}, name)), wait.element);
  try {
    const report = await fetchImage(name, tag);
    wait.stop();
    showImage(report, { offline: false });
  } catch (error) {
    wait.stop();
    showError(name, error);
  }
}

function pullCommands(report: ImageReport): HTMLElement {
  const host = location.host;
  const plain = location.protocol === 'http:';
  const ref = `${host}/${report.name}:${report.tag}`;
  const commands: [string, string][] = [
    ['docker', `docker pull ${ref}`],
    ['podman', `podman pull${plain ? ' --tls-verify=false' : ''} ${ref}`],
    [
      'skopeo',
      `skopeo copy${plain ? ' --src-tls-verify=false' : ''} docker://${ref} oci:./${report.name.replaceAll('/', '-')}:${report.tag}`,
    ],
  ];
  const list = h('div', { class: 'commands' });
  for (const [client, command] of commands) {
    const code = h('code', { id: `pull-${client}` }, command);
    const button = h(
      'button',
      { type: 'button', class: 'copy', 'aria-label': `Copy the ${client} command` },
      'Copy',
    );
    button.addEventListener('click', () => void copy(command, button));
    list.append(h('div', { class: 'command' }, h('span', { class: 'client' }, client), code, button));
  }
  return h(
    'section',
    { id: 'pull', 'aria-labelledby': 'pull-title' },
    h('h2', { id: 'pull-title' }, 'Pull it'),
    list,
    plain
      ? h(
          'p',
          { class: 'note' },
          'This registry speaks plain HTTP: Docker accepts that for 127.0.0.0/8 only, elsewhere list it under insecure-registries.',
        )
      : null,
  );
}

async function copy(text: string, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard access needs a secure context; fall back to a selection copy.
    const area = h('textarea', { 'aria-hidden': 'true', class: 'offscreen' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  button.textContent = 'Copied';
  setTimeout(() => {
    button.textContent = 'Copy';
  }, 1500);
}

function summary(report: ImageReport): HTMLElement {
  const t = report.totals;
  return h(
    'p',
    { id: 'summary', class: 'summary' },
    `${t.layers} layers · ${t.paths} store paths · ${formatBytes(t.narSize)} of store paths`,
    t.compressedSize === null
      ? ' · not built (planned only)'
      : ` · ${formatBytes(t.compressedSize)} to download`,
    ` · ${report.arch} · grouping ${report.grouping.strategy}, budget ${report.grouping.budget}`,
  );
}

function detailsPanel(): { element: HTMLElement; show(block: Block | null, pinned: boolean): void } {
  const element = h(
    'aside',
    { id: 'details', 'aria-live': 'polite', 'aria-label': 'Store path details' },
    h('p', { class: 'hint' }, 'Point at a block, or tab to it, to see its store path.'),
  );
  let pinnedPath: string | null = null;
  return {
    element,
    show(block, pinned) {
      if (!block) return;
      if (pinned) pinnedPath = block.path.path;
      else if (pinnedPath !== null && pinnedPath !== block.path.path) return;
      const { layer, path } = block;
      element.replaceChildren(
        h('h3', { id: 'details-name' }, path.name),
        h(
          'dl',
          {},
          h('dt', {}, 'Store path'),
          h('dd', { id: 'details-path' }, h('code', {}, path.path)),
          h('dt', {}, 'Size (NAR)'),
          h('dd', { id: 'details-size', 'data-bytes': path.narSize }, formatBytes(path.narSize)),
          h('dt', {}, 'Layer'),
          h(
            'dd',
            { id: 'details-layer' },
            `${layer.index} (${shortDigest(layer.digest)}, ${formatBytes(layer.compressedSize)} compressed)`,
          ),
          h('dt', {}, 'Pulled in by'),
          h('dd', { id: 'details-pulled' }, path.requested ? 'requested' : path.pulledInBy.join(', ') || '–'),
          h('dt', {}, 'Why here'),
          h('dd', { id: 'details-why' }, describePathPlacement(layer, path.path)),
        ),
        ...(pinnedPath ? [h('p', { class: 'hint' }, 'Pinned; click another block to change.')] : []),
      );
    },
  };
}

function layerTable(report: ImageReport, offline: boolean): HTMLElement {
  const body = h('tbody', {});
  for (const layer of report.layers) body.append(layerRow(layer, offline));
  return h(
    'section',
    { id: 'layer-list', 'aria-labelledby': 'layers-title' },
    h('h2', { id: 'layers-title' }, 'Layers, in manifest order'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'layers' },
        h('caption', { class: 'offscreen' }, `The ${report.layers.length} layers of ${report.name}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              '#',
              'digest',
              'compressed',
              'contents (NAR)',
              'store paths',
              'why',
              offline ? null : 'shared with',
            ]
              .filter((c): c is string => c !== null)
              .map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        body,
      ),
    ),
  );
}

function layerRow(layer: LayerReport, offline: boolean): HTMLElement {
  const paths =
    layer.paths.length === 0
      ? h('span', {}, 'image root')
      : h(
          'details',
          {},
          h('summary', {}, `${layer.paths.length} path${layer.paths.length === 1 ? '' : 's'}`),
          h(
            'ul',
            { class: 'paths' },
            ...layer.paths.map((p) =>
              h(
                'li',
                {},
                h('code', { title: p.path }, p.name),
                ` ${formatBytes(p.narSize)}`,
                p.requested ? ' · requested' : p.pulledInBy.length ? ` · via ${p.pulledInBy.join(', ')}` : '',
              ),
            ),
          ),
        );
  const shared =
    layer.sharedWith.length === 0 ? '–' : layer.sharedWith.map((s) => `${s.name}:${s.tag}`).join(', ');
  return h(
    'tr',
    { 'data-layer': layer.index, 'data-digest': layer.digest ?? '' },
    h(
      'td',
      {},
      h('span', {
        class: 'swatch',
        style: `background:${layer.kind === 'root' ? '#fff' : layerColor(layer.index)}`,
        'aria-hidden': 'true',
      }),
      String(layer.index),
    ),
    h('td', {}, h('code', { title: layer.digest ?? 'not built' }, shortDigest(layer.digest))),
    h('td', { class: 'num', 'data-bytes': layer.compressedSize ?? '' }, formatBytes(layer.compressedSize)),
    h('td', { class: 'num', 'data-bytes': layer.narSize }, formatBytes(layer.narSize)),
    h('td', {}, paths),
    h('td', { class: 'why' }, describeReason(layer)),
    offline ? null : h('td', { class: 'shared' }, shared),
  );
}

function compareForm(report: ImageReport): HTMLElement {
  const input = h('input', {
    id: 'compare-with',
    name: 'to',
    placeholder: 'shell git',
    autocomplete: 'off',
    required: true,
  });
  const form = h(
    'form',
    { class: 'explore-form', id: 'compare-form' },
    h('label', { for: 'compare-with' }, `What does a client holding ${report.name} download for…`),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Compare')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const other = imageNameFrom(input.value);
    if (other)
      location.assign(`/explore?from=${encodeURIComponent(report.name)}&to=${encodeURIComponent(other)}`);
  });
  return h(
    'section',
    { id: 'compare', 'aria-labelledby': 'compare-title' },
    h('h2', { id: 'compare-title' }, 'Compare'),
    form,
  );
}

function showImage(report: ImageReport, { offline }: { offline: boolean }): void {
  document.title = `${report.name} · layer explorer`;
  const chart = h('div', { id: 'treemap', class: 'chart' });
  const details = detailsPanel();
  const picture = h(
    'section',
    { id: 'picture', 'aria-labelledby': 'picture-title' },
    h('h2', { id: 'picture-title' }, 'The closure by layer'),
    h(
      'p',
      { class: 'note' },
      'One box per layer, one block per store path, areas by bytes (NAR size). The image root layer holds only symlinks and is not drawn.',
    ),
    h('div', { class: 'picture' }, chart, details.element),
  );
  app.replaceChildren(
    h('h1', {}, 'Image ', h('code', { id: 'image-name' }, report.name), `:${report.tag}`),
    summary(report),
    ...(offline || !report.manifests ? [] : [pullCommands(report)]),
    picture,
    layerTable(report, offline),
    ...(offline ? [] : [compareForm(report)]),
  );
  const draw = () => renderTreemap(chart, report, details.show);
  draw();
  let last = chart.clientWidth;
  new ResizeObserver(() => {
    if (Math.abs(chart.clientWidth - last) < 8) return;
    last = chart.clientWidth;
    draw();
  }).observe(chart);
}

async function showComparison(from: string, to: string, tag: string): Promise<void> {
  document.title = `${from} → ${to} · layer explorer`;
  const wait = waiting(`${from} and ${to}`);
  app.replaceChildren(h('h1', {}, 'Compare ', h('code', {}, from), ' → ', h('code', {}, to)), wait.element);
  let a: ImageReport;
  let b: ImageReport;
  try {
    [a, b] = await Promise.all([fetchImage(from, tag), fetchImage(to, tag)]);
  } catch (error) {
    wait.stop();
    showError(`${from} → ${to}`, error);
    return;
  }
  wait.stop();
  const result = compareImages(a, b);
  const column = (report: ImageReport, title: string) => {
    const max = Math.max(1, ...report.layers.map((l) => l.compressedSize ?? 0));
    return h(
      'section',
      { class: 'side', 'aria-label': title },
      h(
        'h2',
        {},
        title,
        ' ',
        h('a', { href: explorePath(report.name, report.tag) }, h('code', {}, report.name)),
      ),
      h('p', {}, `${report.layers.length} layers, ${formatBytes(report.totals.compressedSize)}`),
      h(
        'ol',
        { class: 'bars' },
        ...report.layers.map((layer) => {
          const shared = layer.digest !== null && result.sharedDigests.has(layer.digest);
          const label =
            layer.kind === 'root'
              ? 'image root'
              : layer.paths
                  .slice(0, 2)
                  .map((p) => p.name)
                  .join(', ') + (layer.paths.length > 2 ? ` +${layer.paths.length - 2}` : '');
          return h(
            'li',
            { class: shared ? 'shared' : 'own', 'data-digest': layer.digest ?? '' },
            h('span', {
              class: 'bar',
              style: `width:${Math.max(2, (100 * (layer.compressedSize ?? 0)) / max)}%`,
              'aria-hidden': 'true',
            }),
            h(
              'span',
              { class: 'bar-label' },
              `${shared ? '✓ shared · ' : ''}${label} · ${formatBytes(layer.compressedSize)}`,
            ),
          );
        }),
      ),
    );
  };
  app.replaceChildren(
    h('h1', {}, 'Compare ', h('code', {}, from), ' → ', h('code', {}, to)),
    h(
      'p',
      {
        id: 'compare-summary',
        class: 'summary',
        'data-download-bytes': result.downloadBytes,
        'data-shared-bytes': result.sharedBytes,
      },
      'A client holding ',
      h('code', {}, a.name),
      ' downloads ',
      h('strong', { id: 'compare-download' }, formatBytes(result.downloadBytes)),
      ` of ${b.name}'s ${formatBytes(result.totalBytes)}; `,
      h('strong', { id: 'compare-shared' }, formatBytes(result.sharedBytes)),
      ` in ${result.sharedDigests.size} shared layer${result.sharedDigests.size === 1 ? '' : 's'} it already holds.`,
    ),
    h('div', { class: 'sides' }, column(a, 'Held:'), column(b, 'Pulled:')),
  );
}

start();
