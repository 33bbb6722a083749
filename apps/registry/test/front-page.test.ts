import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderFrontPage } from '../src/front-page.js';
import { describeSource, describeStorage, type RunningRegistry, startRegistry } from '../src/index.js';

let dir: string;
let storagePath: string;
let registry: RunningRegistry;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-registry-front-'));
  storagePath = join(dir, 'storage-folder');
  registry = await startRegistry({
    config: loadConfig({ env: { STORAGE_PATH: storagePath, PORT: '0' } }),
    host: '127.0.0.1',
    logger: pino({}, { write: (line: string) => void logLines.push(line) }),
  });
});
afterAll(async () => {
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the public front page', () => {
  test('names its package source and storage without host paths; the log has the paths', async () => {
    const html = await (await fetch(`${registry.url}/`)).text();
    expect(html).toContain('<li>Packages: the bundled offline demo package set</li>');
    expect(html).toContain('<li>Storage: local folder storage</li>');
    expect(html).not.toContain(storagePath);
    expect(html).not.toContain(dir);
    // No absolute path of any kind: not the storage folder, not the bundled nix/ folder.
    expect(html).not.toMatch(/(^|[\s>(])\/(?:work|tmp|nix|home|root|var|srv|usr)\//m);
    const listening = logLines.find((line) => line.includes('registry listening'));
    expect(listening).toContain(storagePath);
  });
});

describe('descriptions', () => {
  test('package sources say what they are, never where on the host', () => {
    expect(describeSource({ kind: 'path', path: '/srv/pkgs' }, false)).toBe('a local package set');
    expect(describeSource({ kind: 'path', path: '/srv/pkgs' }, true)).toBe(
      'the bundled offline demo package set',
    );
    expect(describeSource({ kind: 'channel', channel: 'nixos-24.05' }, false)).toBe('nixpkgs nixos-24.05');
    expect(
      describeSource({ kind: 'git', url: 'https://user:token@git.example/org/pkgs.git?x=1' }, false),
    ).toBe('git repository https://git.example/org/pkgs.git');
    expect(describeSource({ kind: 'git', url: '/srv/git/pkgs' }, false)).toBe('a git repository');
    expect(describeSource({ kind: 'git', url: 'file:///srv/git/pkgs' }, false)).toBe('a git repository');
    expect(describeSource({ kind: 'git', url: 'git@github.com:org/pkgs.git' }, false)).toBe(
      'a git repository',
    );
  });

  test('storage: a folder by kind, a bucket by name', () => {
    expect(describeStorage({ backend: 'filesystem', path: '/var/lib/nixery' })).toBe('local folder storage');
    expect(describeStorage({ backend: 'gcs', bucket: 'acme-images', credentialsFile: '/etc/key.json' })).toBe(
      'GCS bucket acme-images',
    );
    // Not the endpoint either: it may be an internal address.
    expect(
      describeStorage({
        backend: 's3',
        bucket: 'acme-layers',
        region: 'eu-west-1',
        endpoint: 'http://10.1.2.3:9000',
        forcePathStyle: true,
        presignedUrls: true,
      }),
    ).toBe('S3 bucket acme-layers');
  });
});

describe('platforms on the front page', () => {
  const base = { host: 'r.example', sourceDescription: 's', storageDescription: 'f', version: '1' };
  test('one platform is named; several say an index is served; left-out platforms are listed', () => {
    expect(renderFrontPage({ ...base, platforms: ['linux/amd64'], recentErrors: [] })).toContain(
      'Platform: <code>linux/amd64</code>',
    );
    const html = renderFrontPage({
      ...base,
      platforms: ['linux/amd64', 'linux/arm64/v8'],
      recentErrors: [
        {
          at: '2026-01-01T00:00:00Z',
          image: 'hello',
          reason: 'platform-omitted',
          message: 'linux/arm64/v8 left out of the image index: <no builder>',
        },
      ],
    });
    expect(html).toContain(
      'Platforms: <code>linux/amd64</code>, <code>linux/arm64/v8</code> (one tag, an image index',
    );
    expect(html).toContain('linux/arm64/v8 left out of the image index: &#60;no builder&#62;');
    expect(html).toContain('Recent build errors and warnings');
  });
});
