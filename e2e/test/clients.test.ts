import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { containerdSandbox, podmanSandbox } from './support/clients.js';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

let registry: TestRegistry;
let scratch: string;

beforeAll(async () => {
  registry = await startTestRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'nixery-clients-'));
});
afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('skopeo', () => {
  test.each([
    ['Docker schema 2', 'application/vnd.docker.distribution.manifest.v2+json'],
    ['OCI', 'application/vnd.oci.image.manifest.v1+json'],
  ])('copies shell/hello into an OCI layout through the %s manifest', async (label, mediaType) => {
    // Each format's manifest is stored by digest, so pulling by that digest makes skopeo walk
    // exactly this format's manifest, config and layers.
    const head = await fetch(`${registry.url}/v2/shell/hello/manifests/latest`, {
      method: 'HEAD',
      headers: { accept: mediaType },
    });
    const digest = head.headers.get('docker-content-digest');
    expect(digest).toMatch(/^sha256:/);
    const raw = await execa('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/shell/hello@${digest}`,
    ]);
    expect(JSON.parse(raw.stdout).mediaType).toBe(mediaType);

    const layout = join(scratch, `layout-${label.replace(/\W/g, '')}`);
    const copy = await execa(
      'skopeo',
      [
        'copy',
        '--src-tls-verify=false',
        `docker://${registry.host}/shell/hello@${digest}`,
        `oci:${layout}:latest`,
      ],
      { reject: false, timeout: 180_000 },
    );
    expect(copy.stderr).toBe('');
    expect(copy.exitCode).toBe(0);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);

    // Unpack and check the image has a working root: symlink forest, /tmp, /usr/bin/env, hello.
    const bundle = join(scratch, `bundle-${label.replace(/\W/g, '')}`);
    const unpack = await execa('umoci', ['unpack', '--image', `${layout}:latest`, bundle], { reject: false });
    expect(unpack.exitCode).toBe(0);
    const rootfs = join(bundle, 'rootfs');
    expect(await readdir(rootfs)).toEqual(expect.arrayContaining(['bin', 'etc', 'nix', 'tmp', 'usr']));
    const hello = await execa('chroot', [rootfs, '/bin/hello'], { reject: false });
    expect(hello.stdout).toBe('Hello, world!');
    const env = await execa('chroot', [rootfs, '/usr/bin/env', 'sh', '-c', 'echo from-sh'], {
      reject: false,
    });
    expect(env.stdout).toBe('from-sh');
  });
});

describe('podman', () => {
  test('pulls hello and runs it, printing Hello, world!', async () => {
    const podman = await podmanSandbox();
    try {
      const pull = await podman.run(['pull', '--tls-verify=false', `${registry.host}/hello`], 180_000);
      expect(pull.stderr).not.toMatch(/Error/);
      expect(pull.exitCode).toBe(0);
      const run = await podman.runContainer(`${registry.host}/hello`, ['hello']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('Hello, world!');
      expect(run.exitCode).toBe(0);
    } finally {
      await podman.cleanup();
    }
  });

  test('pulls a multi-package shell image whose Cmd is bash', async () => {
    const podman = await podmanSandbox();
    try {
      const pull = await podman.run(
        ['pull', '--tls-verify=false', `${registry.host}/shell/git/hello`],
        180_000,
      );
      expect(pull.exitCode).toBe(0);
      const inspect = await podman.run(['image', 'inspect', `${registry.host}/shell/git/hello`]);
      const [image] = JSON.parse(inspect.stdout);
      expect(image.Config.Cmd).toEqual(['bash']);
      expect(image.Config.Env).toEqual(expect.arrayContaining([expect.stringMatching(/^SSL_CERT_FILE=/)]));
      const run = await podman.runContainer(`${registry.host}/shell/git/hello`, [
        'bash',
        '-c',
        'ls /tmp >/dev/null && hello && test -e /etc/ssl/certs/ca-bundle.crt && echo ok',
      ]);
      expect(run.stdout).toBe('Hello, world!\nok');
    } finally {
      await podman.cleanup();
    }
  });
});

/**
 * ctr's stderr without the one line its progress display may print when a pull ends between two
 * of its ticks: it asks the content store about a blob with the pull's context already
 * cancelled and logs `failed to get content info … context canceled` (ctr's own race,
 * independent of the registry). Anything else is an error.
 */
function unexpectedCtrErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !/msg="failed to get content info" error="context canceled"/.test(line));
}

describe('containerd', () => {
  test('ctr pulls with the HEAD-then-by-digest flow', async () => {
    const containerd = await containerdSandbox();
    try {
      const before = await metricValue(registry, 'nixery_http_requests_total', {
        route: 'manifest',
        method: 'HEAD',
      });
      const pull = await containerd.ctr(
        ['images', 'pull', '--plain-http', `${registry.host}/shell/hello:latest`],
        180_000,
      );
      expect(pull.exitCode).toBe(0);
      expect(unexpectedCtrErrors(pull.stderr)).toEqual([]);
      const after = await metricValue(registry, 'nixery_http_requests_total', {
        route: 'manifest',
        method: 'HEAD',
      });
      expect(after).toBeGreaterThan(before);
      const list = await containerd.ctr(['images', 'ls', '-q']);
      expect(list.stdout).toContain(`${registry.host}/shell/hello:latest`);
    } finally {
      await containerd.cleanup();
    }
  });
});
