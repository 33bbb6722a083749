// A fleet instance that cannot build (Nix's max-jobs = 0) sends its builds to a remote builder
// named in NIXERY_NIX_BUILDERS: a real sshd on the loopback in front of a nix-daemon with a store
// of its own. The image holds a package no store had built (a fresh salt per run); skopeo pulls
// it and podman runs it, and the package's output is found in the builder's store.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bundledPackageSetPath } from '@nixery/nix-expressions';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  markerPackageSet,
  type SshBuilder,
  sshdAvailable,
  startSshBuilder,
} from '../../packages/nix/test/support/ssh-builder.js';
import { podmanSandbox } from './support/clients.js';
import { type RegistryProcess, startRegistryProcess } from './support/faults.js';

const IMAGE = 'shell/hello/fleetmarker';
let builder: SshBuilder;
let set: Awaited<ReturnType<typeof markerPackageSet>>;
let scratch: string;
let registry: RegistryProcess;
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
  host = new URL(registry.url).host;
});
afterAll(async () => {
  if (registry) {
    registry.child.kill('SIGTERM');
    await registry.exited;
  }
  await builder?.stop();
  await set?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test('an instance without build slots builds on the remote builder; skopeo pulls the image and podman runs it', async () => {
  // The first pull builds; its answer says why when the build went wrong.
  const manifest = await fetch(`${registry.url}/v2/${IMAGE}/manifests/latest`, {
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
