import { type BuildStage, describeStage } from '@nixery/builder';
import type { BuildDetail, BuildSummary } from './build-board.js';

// The human pages of the build board: no external assets, the live page reads the same
// server-sent events any client can (see builds.ts).

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

const STYLE = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}pre{padding:.5rem;overflow:auto;max-height:60vh}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
.failed{color:#a00}.done{color:#070}`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function stageClass(stage: BuildStage): string {
  return stage.stage === 'failed' ? 'failed' : stage.stage === 'done' ? 'done' : '';
}

/** `GET /builds` for a browser: a table linking to each build's page. */
export function renderBuildListPage(builds: readonly BuildSummary[]): string {
  const rows = builds.map(
    (b) =>
      `<tr><td><a href="${escapeHtml(b.links.self)}"><code>${escapeHtml(b.image)}:${escapeHtml(b.tag)}</code></a></td><td>${escapeHtml(b.arch)}</td><td class="${stageClass(b.stage)}">${escapeHtml(describeStage(b.stage))}</td><td>${seconds(b.elapsedMs)}</td><td>${escapeHtml(b.startedAt)}</td></tr>`,
  );
  const table =
    builds.length === 0
      ? '<p>No build has run since this instance started.</p>'
      : `<table><tr><th>image</th><th>arch</th><th>stage</th><th>elapsed</th><th>started</th></tr>${rows.join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>builds · nixery-ts</title><style>${STYLE}</style></head><body>
<p><a href="/">nixery-ts</a></p>
<h1>Builds</h1>
<p>Builds in flight, then the last finished ones (as JSON for clients that do not ask for HTML).</p>
${table}
</body></html>
`;
}

/** `GET /builds/<id>` for a browser: the stage and the Nix log, kept live from the event stream. */
export function renderBuildPage(build: BuildDetail): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(build.image)} · build · nixery-ts</title><style>${STYLE}</style></head><body>
<p><a href="/">nixery-ts</a> · <a href="/builds">builds</a></p>
<h1>Build of <code>${escapeHtml(build.image)}:${escapeHtml(build.tag)}</code></h1>
<p>Stage: <strong id="stage" class="${stageClass(build.stage)}">${escapeHtml(describeStage(build.stage))}</strong>
· elapsed <span id="elapsed">${seconds(build.elapsedMs)}</span> · ${escapeHtml(build.arch)} · started ${escapeHtml(build.startedAt)}</p>
<h2>Nix log</h2>
<pre id="log"></pre>
<script>
(() => {
  const build = ${scriptJson(build)};
  const stageEl = document.getElementById('stage');
  const elapsedEl = document.getElementById('elapsed');
  const logEl = document.getElementById('log');
  const describe = (s) => {
    switch (s.stage) {
      case 'evaluating': return s.evaluations > 1 ? 'evaluating (' + s.evaluations + ' evaluations)' : 'evaluating';
      case 'building': {
        const parts = [];
        if (s.derivations.total > 0) parts.push(s.derivations.started + ' of ' + s.derivations.total + ' derivations');
        if (s.fetches.total > 0) parts.push('fetching ' + s.fetches.started + ' of ' + s.fetches.total + ' paths');
        return parts.length ? 'building ' + parts.join(', ') : 'building';
      }
      case 'grouping': return 'grouping layers';
      case 'writing': return 'writing layer ' + Math.min(s.layer + 1, s.layers) + ' of ' + s.layers;
      case 'done': return 'done in ' + (s.timings.totalMs / 1000).toFixed(1) + ' s';
      case 'failed': return 'failed (' + s.reason + '): ' + s.message;
      default: return s.stage;
    }
  };
  const showStage = (s, elapsedMs) => {
    stageEl.textContent = describe(s);
    stageEl.className = s.stage === 'failed' ? 'failed' : s.stage === 'done' ? 'done' : '';
    elapsedEl.textContent = (elapsedMs / 1000).toFixed(1) + ' s';
  };
  const addLines = (lines) => {
    const atEnd = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
    logEl.textContent += lines.map((l) => l + '\\n').join('');
    if (atEnd) logEl.scrollTop = logEl.scrollHeight;
  };
  addLines(build.log);
  if (build.endedAt !== null || typeof EventSource === 'undefined') return;
  const events = new EventSource(build.links.events);
  events.addEventListener('snapshot', (e) => {
    // Every connection (and reconnection) starts with the whole log so far.
    const snap = JSON.parse(e.data);
    logEl.textContent = '';
    addLines(snap.log);
    showStage(snap.stage, snap.elapsedMs);
  });
  events.addEventListener('stage', (e) => { const d = JSON.parse(e.data); showStage(d.stage, d.elapsedMs); });
  events.addEventListener('log', (e) => addLines([JSON.parse(e.data).line]));
  const end = (e) => { const d = JSON.parse(e.data); showStage(d.stage, d.elapsedMs); events.close(); };
  events.addEventListener('done', end);
  events.addEventListener('failed', end);
})();
</script>
</body></html>
`;
}
