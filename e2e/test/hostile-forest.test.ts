// Issue 21: packages whose outputs hold symlinks out of the store (`/`, `/etc`, `/root`, host
// files, `..` chains), a symlink cycle, or an output that is itself a symlink to a host folder.
// Pulled with skopeo from the real registry, every layer must hold only store paths of the image
// and the expected forest links, the builds must end quickly, and the server must stay
// responsive. A client that disconnects during a slow build stops it.

import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { descendantsMatching, waitFor } from './support/faults.js';
import { startTestRegistry, type TestRegistry } from './support/registry.js';

const HOSTILE_SET = join(import.meta.dirname, 'fixtures', 'hostile');
const ACCEPT = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };

interface Entry {
  name: string;
  type: string;
  linkname: string | null;
}

async function layerEntries(file: string): Promise<Entry[]> {
  const extract = tar.extract();
  createReadStream(file).pipe(createGunzip()).pipe(extract);
  const entries: Entry[] = [];
  for await (const entry of extract) {
    entry.resume();
    entries.push({
      name: entry.header.name,
      type: entry.header.type,
      linkname: entry.header.linkname ?? null,
    });
  }
  return entries;
}

/** Pulls `name:latest` with skopeo into an OCI layout and lists every layer's entries. */
async function pull(registry: TestRegistry, name: string, dir: string): Promise<Entry[][]> {
  const layout = join(dir, name.replaceAll('/', '_'));
  await execa('skopeo', [
    'copy',
    '--src-tls-verify=false',
    `docker://${registry.host}/${name}:latest`,
    `oci:${layout}:latest`,
  ]);
  const blob = (digest: string) => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifest = JSON.parse(await readFile(blob(index.manifests[0]!.digest), 'utf8')) as {
    layers: { digest: string }[];
  };
  return Promise.all(manifest.layers.map((layer) => layerEntries(blob(layer.digest))));
}

/** Store basenames as the image names them, keyed by package name (`hostroot-1.0`). */
function storeNamesOf(layers: Entry[][]): Map<string, string> {
  const names = new Map<string, string>();
  for (const entry of layers.flat()) {
    const match = /^nix\/store\/([0-9a-z]{32}-([^/]+))\/?$/.exec(entry.name);
    if (match) names.set(match[2]!, match[1]!);
  }
  return names;
}

/** The forest entries of the cacert and iana-etc stand-ins every image gets. */
function standIns(store: Map<string, string>): [string, string, string][] {
  return [
    ['stand-in/', 'directory', ''],
    ['stand-in/cacert', 'symlink', `/nix/store/${store.get('cacert-0')}/stand-in/cacert`],
    ['stand-in/iana-etc', 'symlink', `/nix/store/${store.get('iana-etc-0')}/stand-in/iana-etc`],
  ];
}

const byName = (a: [string, ...string[]], b: [string, ...string[]]) =>
  Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));

describe('hostile package set', () => {
  let registry: TestRegistry;
  let pulls: string;
  beforeAll(async () => {
    registry = await startTestRegistry({
      env: { NIXERY_PKGS_PATH: HOSTILE_SET, NIXERY_NIX_SUBSTITUTERS: '', NIX_TIMEOUT: '60' },
    });
    pulls = await mkdtemp(join(tmpdir(), 'nixery-hostile-'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (pulls) await rm(pulls, { recursive: true, force: true });
  });

  test('every layer holds only the image’s store paths and the forest’s own links', async () => {
    const forests: Record<string, (store: Map<string, string>) => [string, string, string][]> = {
      hostroot: (s) => [
        ['bin/', 'directory', ''],
        ['bin/hostroot', 'symlink', `/nix/store/${s.get('hostroot-1.0')}/bin/hostroot`],
        ['etc', 'symlink', `/nix/store/${s.get('hostroot-1.0')}/etc`],
        ['host', 'symlink', `/nix/store/${s.get('hostroot-1.0')}/host`],
        ['roothome', 'symlink', `/nix/store/${s.get('hostroot-1.0')}/roothome`],
        ['tmp/', 'directory', ''],
      ],
      outsidefiles: (s) => [
        ['etc-copy/', 'directory', ''],
        ['etc-copy/hostname', 'symlink', `/nix/store/${s.get('outsidefiles-1.0')}/etc-copy/hostname`],
        ['etc-copy/passwd', 'symlink', `/nix/store/${s.get('outsidefiles-1.0')}/etc-copy/passwd`],
        ['lib/', 'directory', ''],
        ['lib/bashrc', 'symlink', `/nix/store/${s.get('outsidefiles-1.0')}/lib/bashrc`],
        ['tmp/', 'directory', ''],
      ],
      escape: (s) => [
        ['share/', 'directory', ''],
        ['share/a/', 'directory', ''],
        ['share/a/b/', 'directory', ''],
        ['share/a/b/up', 'symlink', `/nix/store/${s.get('escape-1.0')}/share/a/b/up`],
        ['share/a/etc', 'symlink', `/nix/store/${s.get('escape-1.0')}/share/a/etc`],
        ['share/parent', 'symlink', `/nix/store/${s.get('escape-1.0')}/share/parent`],
        ['tmp/', 'directory', ''],
      ],
      // The output is a symlink: it contributes nothing to the forest.
      outputlink: () => [['tmp/', 'directory', '']],
    };
    for (const [name, expected] of Object.entries(forests)) {
      const started = Date.now();
      const layers = await pull(registry, name, pulls);
      expect(Date.now() - started, `${name} pulled quickly`).toBeLessThan(30_000);
      const store = storeNamesOf(layers);
      const storeLayers = layers.slice(0, -1).flat();
      const root = layers.at(-1)!.map((e): [string, string, string] => [e.name, e.type, e.linkname ?? '']);
      expect(root, name).toEqual([...expected(store), ...standIns(store)].sort(byName));
      // Store-path layers: only nix/, nix/store/ and the paths of this image (no envPath: the
      // set has no coreutils), each a small tree.
      for (const entry of storeLayers) {
        expect(
          entry.name === 'nix/' ||
            entry.name === 'nix/store/' ||
            [...store.values()].some((b) => entry.name.startsWith(`nix/store/${b}`)),
          entry.name,
        ).toBe(true);
      }
      expect([...store.keys()].sort()).toEqual(['cacert-0', 'iana-etc-0', `${name}-1.0`].sort());
      expect(storeLayers.length, name).toBeLessThan(20);
    }
  });

  test('an output that is a symlink stays a symlink in its store-path layer', async () => {
    const layers = await pull(registry, 'outputlink', pulls);
    const links = layers
      .slice(0, -1)
      .flat()
      .filter((e) => e.type === 'symlink');
    // The stand-ins hold no links: the output link is the only one.
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ linkname: '/etc' });
    expect(links[0]!.name).toMatch(/^nix\/store\/[0-9a-z]{32}-outputlink-1\.0$/);
  });

  test('a cycle of sibling directories and every package at once: small, fast, and the server stays responsive', async () => {
    let pulling = true;
    const latencies: number[] = [];
    const healthChecks = (async () => {
      while (pulling) {
        const started = performance.now();
        const response = await fetch(`${registry.url}/healthz`);
        expect(response.status).toBe(200);
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const started = Date.now();
    let layers: Entry[][];
    try {
      layers = await pull(registry, 'cycle/hostroot/outsidefiles/escape/outputlink', pulls);
    } finally {
      pulling = false;
      await healthChecks;
    }
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(latencies.length).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(1_000);

    const root = layers.at(-1)!;
    const cycleLinks = root.filter((e) => /^d\d\/d\d$/.test(e.name));
    expect(cycleLinks).toHaveLength(8 * 7);
    // Nothing below any of the links: no host names and no walk through the cycle.
    const below = root.filter((e) => /^(etc|host|roothome)\/|^d\d\/d\d\//.test(e.name));
    expect(below).toEqual([]);
    expect(root.length).toBe(8 + 8 * 7 + 5 + 5 + 6 + 1 + 3);
    for (const entry of layers.flat()) {
      if (entry.type === 'symlink' && !entry.name.startsWith('nix/'))
        expect(entry.linkname, entry.name).toMatch(/^\/nix\/store\/[0-9a-z]{32}-[^/]+\//);
    }
  });
});

describe('a client leaving a build', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({
      env: { NIXERY_PKGS_PATH: HOSTILE_SET, NIXERY_NIX_SUBSTITUTERS: '', NIX_TIMEOUT: '120' },
    });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const sleeping = (seconds: number) => descendantsMatching(process.pid, `sleep ${seconds}`);

  test('the only client disconnecting stops the Nix build', async () => {
    const client = new AbortController();
    const pending = fetch(`${registry.url}/v2/slow/manifests/latest`, {
      headers: ACCEPT,
      signal: client.signal,
    });
    pending.catch(() => {});
    await waitFor('the slow build to start', 30_000, async () => (await sleeping(37)).length > 0);
    const left = Date.now();
    client.abort();
    await waitFor('the slow build to stop', 10_000, async () => (await sleeping(37)).length === 0);
    await waitFor(
      'nix-build to end',
      10_000,
      async () => (await descendantsMatching(process.pid, 'nix-build')).length === 0,
    );
    expect(Date.now() - left).toBeLessThan(10_000);
    // The server still answers.
    expect((await fetch(`${registry.url}/healthz`)).status).toBe(200);
  });

  test('the build carries on while another client still waits', async () => {
    const leaving = new AbortController();
    const first = fetch(`${registry.url}/v2/slowish/manifests/latest`, {
      headers: ACCEPT,
      signal: leaving.signal,
    });
    first.catch(() => {});
    await waitFor('the slowish build to start', 30_000, async () => (await sleeping(3)).length > 0);
    const staying = fetch(`${registry.url}/v2/slowish/manifests/latest`, { headers: ACCEPT });
    // Let the second request join the running build before the first leaves.
    await new Promise((resolve) => setTimeout(resolve, 300));
    leaving.abort();
    const response = await staying;
    expect(response.status, await response.clone().text()).toBe(200);
  });
});
