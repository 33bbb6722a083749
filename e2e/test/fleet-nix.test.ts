// How a fleet shares Nix's work, with Nix's own machinery, for real. A remote builder: an
// instance that cannot build (Nix's max-jobs = 0) sends its builds to the builder named in
// NIXERY_NIX_BUILDERS, a real sshd on the loopback in front of a nix-daemon with a store of its
// own; the image holds a package no store had built (a fresh salt per run), skopeo pulls it,
// podman runs it, and the package's output is found in the builder's store. A binary cache: an
// instance that can neither build nor reach a builder substitutes a package that only a signed
// cache has, when NIXERY_TRUSTED_PUBLIC_KEYS holds the cache's key, and fails clearly when not.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bundledPackageSetPath } from '@nixery/nix-expressions';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SignedCache, signedBinaryCache } from '../../packages/nix/test/support/binary-cache.js';
import {
  markerPackageSet,
  type SshBuilder,
  sshdAvailable,
  startSshBuilder,
} from '../../packages/nix/test/support/ssh-builder.js';
import { podmanSandbox } from './support/clients.js';
import { type RegistryProcess, registryError, startRegistryProcess } from './support/faults.js';

describe('a remote builder', () => {
  const IMAGE = 'shell/hello/fleetmarker';
  let builder: SshBuilder;
  let set: Awaited<ReturnType<typeof markerPackageSet>>;
  let scratch: string;
  let registry: RegistryProcess | undefined;
  let host: string;

  beforeAll(async () => {
    if (!sshdAvailable()) throw new Error('no /usr/sbin/sshd: run scripts/bootstrap.sh --test-clients');
    builder = await startSshBuilder();
    set = await markerPackageSet(bundledPackageSetPath);
    scratch = await mkdtemp(join(tmpdir(), 'nixery-fleet-builders-'));
    registry = await startRegistryProcess({
      STORAGE_PATH: join(scratch, 'storage'),
      NIXERY_GCROOTS_DIR: join(scratch, 'gcroots'),
      NIXERY_PKGS_PATH: set.dir,
      NIXERY_NIX_SUBSTITUTERS: '',
      NIXERY_NIX_BUILDERS: builder.machine,
      // Nix's own settings of this node: no local build slots, and ssh options for the builder.
      NIX_CONFIG: 'max-jobs = 0',
      NIX_SSHOPTS: builder.sshOpts,
    });
    host = new URL(registry!.url).host;
  });
  afterAll(async () => {
    await stopRegistry(registry);
    await builder?.stop();
    await set?.remove();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('an instance without build slots builds on the remote builder; skopeo pulls the image and podman runs it', async () => {
    // The first pull builds; its answer says why when the build went wrong.
    const manifest = await fetch(`${registry!.url}/v2/${IMAGE}/manifests/latest`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(manifest.status, await manifest.clone().text()).toBe(200);

    const layout = join(scratch, 'layout');
    const copy = await execa(
      'skopeo',
      ['copy', '--src-tls-verify=false', `docker://${host}/${IMAGE}:latest`, `oci:${layout}:latest`],
      { reject: false, timeout: 240_000 },
    );
    expect(copy.stderr).toBe('');
    expect(copy.exitCode).toBe(0);

    // The marker's output was built in the builder's store (this node could build nothing)…
    const remote = await builder.storePaths();
    const marker = remote.find((name) => name.endsWith('-fleet-marker-1.0'));
    expect(marker, `builder store: ${remote.join(' ')}`).toBeDefined();
    // …copied back here, and is in the image with this run's salt.
    expect((await readFile(`/nix/store/${marker}/share/fleet-marker/salt`, 'utf8')).trim()).toBe(set.salt);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);

    const podman = await podmanSandbox();
    try {
      const pull = await podman.run(['pull', '--tls-verify=false', `${host}/${IMAGE}`], 180_000);
      expect(pull.exitCode, pull.stderr).toBe(0);
      const run = await podman.runContainer(`${host}/${IMAGE}`, [
        'bash',
        '-c',
        `hello && cat /share/fleet-marker/salt && readlink /share/fleet-marker/salt`,
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toBe(
        `Hello, world!\n${set.salt}\n/nix/store/${basename(marker!)}/share/fleet-marker/salt`,
      );
    } finally {
      await podman.cleanup();
    }
  }, 600_000);
});

describe('a signed binary cache', () => {
  const IMAGE = 'fleetmarker';
  let set: Awaited<ReturnType<typeof markerPackageSet>>;
  let cache: SignedCache;
  let scratch: string;
  const registries: RegistryProcess[] = [];
  /** An instance that can build nothing itself and has no builder: only the cache can help it. */
  const cacheOnlyInstance = async (name: string, trustedKey: string) => {
    const registry = await startRegistryProcess({
      STORAGE_PATH: join(scratch, name, 'storage'),
      NIXERY_GCROOTS_DIR: join(scratch, name, 'gcroots'),
      NIXERY_PKGS_PATH: set.dir,
      NIXERY_NIX_SUBSTITUTERS: cache.url,
      NIXERY_TRUSTED_PUBLIC_KEYS: trustedKey,
      NIXERY_NIX_BUILDERS: '',
      NIX_CONFIG: 'max-jobs = 0',
    });
    registries.push(registry);
    return registry;
  };
  beforeAll(async () => {
    set = await markerPackageSet(bundledPackageSetPath);
    cache = await signedBinaryCache(set.dir, 'fleetMarker');
    scratch = await mkdtemp(join(tmpdir(), 'nixery-fleet-cache-'));
    // What every image gets besides the marker is built here first (an ordinary local build).
    await execa('nix-build', [
      bundledPackageSetPath,
      '--no-out-link',
      '--option',
      'substituters',
      '',
      ...['cacert', 'iana-etc', 'coreutils'].flatMap((attr) => ['-A', attr]),
    ]);
  }, 300_000);
  afterAll(async () => {
    for (const registry of registries) await stopRegistry(registry);
    await cache?.remove();
    await set?.remove();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('a cache signed by a key the instance does not trust is not used: a clear 500', async () => {
    const registry = await cacheOnlyInstance('untrusting', cache.otherPublicKey);
    const response = await fetch(`${registry.url}/v2/${IMAGE}/manifests/latest`);
    expect(response.status).toBe(500);
    const error = await registryError(response);
    expect(error.code).toBe('MANIFEST_UNKNOWN');
    expect(error.message).toMatch(/failed to build/);
    expect(JSON.stringify(error.detail)).toMatch(/not signed by any of the keys in 'trusted-public-keys'/);
    await expect(readFile(`${cache.outPath}/share/fleet-marker/salt`)).rejects.toThrow(/ENOENT/);
  }, 300_000);

  test('with the cache key trusted, the package comes from the cache and skopeo pulls the image', async () => {
    const registry = await cacheOnlyInstance('trusting', cache.publicKey);
    const copy = await execa(
      'skopeo',
      [
        'copy',
        '--src-tls-verify=false',
        `docker://${new URL(registry.url).host}/${IMAGE}:latest`,
        `oci:${join(scratch, 'layout')}:latest`,
      ],
      { reject: false, timeout: 240_000 },
    );
    expect(copy.exitCode, copy.stderr).toBe(0);
    expect((await readFile(`${cache.outPath}/share/fleet-marker/salt`, 'utf8')).trim()).toBe(set.salt);
  }, 300_000);
});

async function stopRegistry(registry: RegistryProcess | undefined): Promise<void> {
  if (!registry || registry.child.exitCode !== null || registry.child.signalCode !== null) return;
  registry.child.kill('SIGTERM');
  await registry.exited;
}
