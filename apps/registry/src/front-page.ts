import type { RecentError } from './recent-errors.js';

export interface FrontPageInfo {
  host: string;
  sourceDescription: string;
  storageDescription: string;
  version: string;
  /** Link the build board (`/builds`). */
  buildsLink?: boolean;
  /** The platforms served; with two or more, clients that accept an image index get one. */
  platforms?: readonly string[];
  /** null on private instances, whose errors are not shown to anonymous visitors. */
  recentErrors: readonly RecentError[] | null;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function renderErrors(recent: readonly RecentError[] | null): string {
  if (recent === null) return '<p>This instance is private; its build errors are in its logs.</p>';
  if (recent.length === 0)
    return '<p>No build has failed, and no platform was left out of an image index, since this instance started.</p>';
  const rows = recent.map(
    (e) =>
      `<tr><td>${escapeHtml(e.at)}</td><td><code>${escapeHtml(e.image)}</code></td><td>${escapeHtml(e.reason)}</td><td>${escapeHtml(e.message)}</td></tr>`,
  );
  return `<table><tr><th>when</th><th>image</th><th>reason</th><th>message</th></tr>${rows.join('')}</table>`;
}

/** The human-facing page at `/`: what this instance is, how to pull, where packages come from. */
export function renderFrontPage(info: FrontPageInfo): string {
  const host = escapeHtml(info.host);
  const errors = renderErrors(info.recentErrors);
  const platforms = info.platforms ?? [];
  const platformLine =
    platforms.length > 1
      ? `<li>Platforms: ${platforms.map((p) => `<code>${escapeHtml(p)}</code>`).join(', ')} (one tag, an image index; a platform that cannot be built is left out and listed below)</li>`
      : platforms.length === 1
        ? `<li>Platform: <code>${escapeHtml(platforms[0] as string)}</code></li>`
        : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nixery-ts</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
form{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}input{font:inherit;padding:.3rem .5rem;flex:1 1 12rem}button{font:inherit}</style>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head><body>
<h1>nixery-ts</h1>
<p>A container registry that builds images on demand from Nix packages. The image name is the list of
packages you want, separated by slashes; each image gets a layered closure of those packages plus
<code>cacert</code> and <code>iana-etc</code>.</p>
<h2>Explore an image's layers</h2>
<form action="/explore" method="get" role="search"><label for="packages">Packages</label>
<input id="packages" name="packages" placeholder="shell git htop" required autocomplete="off">
<button type="submit">Explore</button></form>
<p>The <a href="/explore">layer explorer</a> shows which store paths go into which layer, their sizes,
and which layers other images share (its data: <code>/api/images/&lt;image name&gt;</code>).</p>
<h2>Pull an image</h2>
<pre>podman pull ${host}/shell/hello
skopeo copy docker://${host}/shell/git/htop:latest oci:./image:latest</pre>
<ul>
<li><code>shell</code> as the first component adds <code>bashInteractive coreutils moreutils nano</code>.</li>
<li><code>arm64</code> as the first component builds for aarch64-linux only.</li>
<li>Nested attributes use dots (<code>python3packages.requests</code>); names match case-insensitively.</li>
</ul>
<h2>This instance</h2>
<ul>${platformLine}<li>Packages: ${escapeHtml(info.sourceDescription)}</li><li>Storage: ${escapeHtml(info.storageDescription)}</li><li>Version: ${escapeHtml(info.version)}</li></ul>
${info.buildsLink ? '<p><a href="/builds">Builds in flight and recent ones</a>, each with its live Nix log.</p>\n' : ''}<h2>Recent build errors and warnings</h2>
${errors}
</body></html>
`;
}
