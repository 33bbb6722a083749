// One tag, an image index for linux/amd64 and linux/arm64, pulled by real clients from a running
// registry. The instance also lists linux/riscv64, which this Nix has no builder for (no
// extra-platforms, no remote builder, nothing substitutable): it must be left out with a
// warning while the other platforms serve. The package set is the bundled one with the test
// marker on its aarch64 packages (nix/test/multiarch-set), so the set's own aarch64 outputs stay
// unbuilt in the shared store.
import { mkdir, mkdtemp, open, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Emulation, emulateAarch64 } from './support/binfmt.js';
import { CONTAINER_LIMITS, containerdSandbox, dockerSandbox, podmanSandbox } from './support/clients.js';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_SET = resolve(HERE, '../../nix/test/multiarch-set');
const QEMU = resolve(HERE, '../../nix/pkgs/.arm64/test/qemu-aarch64-static');

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

let registry: TestRegistry;
let scratch: string;
const logLines: string[] = [];
let emulation: Emulation = { ok: false, reason: 'not set up' };

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'nixery-multiarch-'));
  registry = await startTestRegistry({
    env: {
      NIXERY_PKGS_PATH: PACKAGE_SET,
      NIXERY_NIX_SUBSTITUTERS: '',
      NIXERY_NIX_EXTRA_PLATFORMS: 'aarch64-linux',
      NIXERY_PLATFORMS: 'linux/amd64,linux/arm64,linux/riscv64',
    },
    logger: pino({ level: 'warn' }, { write: (line: string) => logLines.push(line) }),
  });
  emulation = await emulateAarch64(QEMU);
  if (!emulation.ok) console.warn(`multiarch: the arm64 run tests are skipped: ${emulation.reason}`);
}, 180_000);
afterAll(async () => {
  if (emulation.ok) await emulation.undo();
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function manifestAt(reference: string, accept: string) {
  const url = `${registry.url}/v2/hello/manifests/${reference}`;
  const head = await fetch(url, { method: 'HEAD', headers: { accept } });
  const get = await fetch(url, { headers: { accept } });
  const bytes = Buffer.from(await get.arrayBuffer());
  expect(get.status, bytes.toString()).toBe(200);
  expect(head.status).toBe(200);
  expect(head.headers.get('docker-content-digest')).toBe(get.headers.get('docker-content-digest'));
  expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
  return {
    type: get.headers.get('content-type'),
    digest: get.headers.get('docker-content-digest') as string,
    json: JSON.parse(bytes.toString('utf8')),
  };
}

/** An OCI layout's manifest for `tag`, and the manifest's config. */
async function layoutImage(layout: string, tag: string) {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  const entry = index.manifests.find(
    (m: { annotations?: Record<string, string> }) =>
      m.annotations?.['org.opencontainers.image.ref.name'] === tag,
  );
  const blob = (digest: string) => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const manifest = JSON.parse(await readFile(blob(entry.digest), 'utf8'));
  const config = JSON.parse(await readFile(blob(manifest.config.digest), 'utf8'));
  return { digest: entry.digest as string, manifest, config, blob };
}

/** The ELF header's e_machine of a file (after checking the ELF magic and the 64-bit class). */
async function elfMachine(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(20);
    await file.read(header, 0, 20, 0);
    expect(header.subarray(0, 4)).toEqual(Buffer.from('\x7fELF', 'latin1'));
    expect(header[4]).toBe(2);
    return header.readUInt16LE(18);
  } finally {
    await file.close();
  }
}

/** A path inside an unpacked root, following symlinks as the image's own root would. */
async function insideRoot(root: string, path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < 20; hops++) {
    const link = await readlink(join(root, current)).catch(() => null);
    if (link === null) return join(root, current);
    current = link.startsWith('/') ? link : join(dirname(current), link);
  }
  throw new Error(`too many links under ${path}`);
}

describe('the image index', { timeout: 300_000 }, () => {
  let ociIndex: { digest: string; json: { mediaType: string; manifests: Descriptor[] } };

  test('skopeo inspect --raw shows an OCI index with amd64 and arm64/v8; riscv64 is left out with a warning', async () => {
    const raw = await execa(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/hello:latest`],
      {
        timeout: 240_000,
      },
    );
    const index = JSON.parse(raw.stdout);
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests.map((m: Descriptor) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    expect(index.manifests.map((m: Descriptor) => m.mediaType)).toEqual([OCI_MANIFEST, OCI_MANIFEST]);
    ociIndex = await manifestAt('latest', `${OCI_MANIFEST}, ${OCI_INDEX}`);
    expect(ociIndex.json).toEqual(index);

    const warnings = logLines
      .map((line) => JSON.parse(line))
      .filter((l) => l.msg === 'platform left out of the image index');
    expect(warnings).toEqual([
      expect.objectContaining({
        image: 'hello',
        platform: 'linux/riscv64',
        reason: 'unsupported-system',
        level: 40,
      }),
    ]);
    expect(warnings[0].err).toMatch(/cannot build packages for riscv64-linux/);
    expect(await metricValue(registry, 'nixery_platforms_omitted_total', { platform: 'linux/riscv64' })).toBe(
      1,
    );
    const front = await (await fetch(`${registry.url}/`)).text();
    expect(front).toContain('linux/riscv64 left out of the image index');
    expect(front).toMatch(/Platforms: .*linux\/amd64.*linux\/arm64\/v8.*linux\/riscv64/);
  });

  test('a Docker client gets a manifest list of Docker manifests; every document is stored by digest', async () => {
    const list = await manifestAt('latest', `${DOCKER_MANIFEST}, ${DOCKER_LIST}`);
    expect(list.type).toBe(DOCKER_LIST);
    expect(list.json.mediaType).toBe(DOCKER_LIST);
    expect(list.json.manifests.map((m: Descriptor) => m.mediaType)).toEqual([
      DOCKER_MANIFEST,
      DOCKER_MANIFEST,
    ]);
    expect(JSON.stringify(list.json)).not.toContain('vnd.oci');
    expect(list.json.manifests.map((m: Descriptor) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
    for (const [document, type] of [
      [list, DOCKER_LIST],
      [ociIndex, OCI_INDEX],
    ] as const) {
      expect((await manifestAt(document.digest, type)).type).toBe(type);
      for (const entry of document.json.manifests as Descriptor[]) {
        const byDigest = await manifestAt(entry.digest, entry.mediaType);
        expect(byDigest.type).toBe(entry.mediaType);
      }
    }
    // A client that names no index type gets the host's single manifest, as before.
    const single = await manifestAt('latest', OCI_MANIFEST);
    expect(single.type).toBe(OCI_MANIFEST);
    expect(single.digest).toBe(ociIndex.json.manifests[0]?.digest);
    // `arm64/…` still means arm64 only: a single manifest, even for an index-accepting client.
    const arm64Only = await fetch(`${registry.url}/v2/arm64/hello/manifests/latest`, {
      headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` },
    });
    expect(arm64Only.headers.get('content-type')).toBe(OCI_MANIFEST);
    expect(arm64Only.headers.get('docker-content-digest')).toBe(ociIndex.json.manifests[1]?.digest);
  });

  test('skopeo copy: --override-arch arm64 and the default get their platform; arm64 holds an aarch64 hello; cacert and iana-etc layers are shared', async () => {
    const layout = join(scratch, 'layout');
    for (const [tag, extra] of [
      ['arm64', ['--override-arch', 'arm64']],
      ['default', []],
    ] as const) {
      const copy = await execa(
        'skopeo',
        [
          ...extra,
          'copy',
          '--src-tls-verify=false',
          `docker://${registry.host}/hello:latest`,
          `oci:${layout}:${tag}`,
        ],
        { reject: false, timeout: 240_000 },
      );
      expect(copy.stderr).toBe('');
      expect(copy.exitCode).toBe(0);
    }
    const arm64 = await layoutImage(layout, 'arm64');
    const amd64 = await layoutImage(layout, 'default');
    expect(arm64.digest).toBe(ociIndex.json.manifests[1]?.digest);
    expect(amd64.digest).toBe(ociIndex.json.manifests[0]?.digest);
    expect(arm64.config.architecture).toBe('arm64');
    expect(amd64.config.architecture).toBe('amd64');

    const machines: Record<string, number> = {};
    const layerFiles: Record<string, string[]> = {};
    for (const [label, image] of [
      ['arm64', arm64],
      ['amd64', amd64],
    ] as const) {
      const root = join(scratch, `root-${label}`);
      await mkdir(root);
      for (const layer of image.manifest.layers as Descriptor[]) {
        await execa('tar', ['-xzf', image.blob(layer.digest), '-C', root]);
        layerFiles[layer.digest] = (await execa('tar', ['-tzf', image.blob(layer.digest)])).stdout.split(
          '\n',
        );
      }
      machines[label] = await elfMachine(await insideRoot(root, 'bin/hello'));
    }
    expect(machines).toEqual({ arm64: EM_AARCH64, amd64: EM_X86_64 });

    const digestsOf = (image: typeof arm64) => (image.manifest.layers as Descriptor[]).map((l) => l.digest);
    const shared = digestsOf(arm64).filter((d) => digestsOf(amd64).includes(d));
    const sharedPaths = shared.flatMap((d) => layerFiles[d] ?? []);
    expect(sharedPaths.some((p) => /^nix\/store\/[a-z0-9]{32}-nss-cacert-3\.98\//.test(p))).toBe(true);
    expect(sharedPaths.some((p) => /^nix\/store\/[a-z0-9]{32}-iana-etc-20240318\//.test(p))).toBe(true);
    expect(sharedPaths.some((p) => /-hello-2\.12\.1\//.test(p))).toBe(false);
  });
});

describe('platforms that cannot be built', { timeout: 300_000 }, () => {
  test('a package the arm64 set does not have: the index lists amd64 only, arm64 is left out with the reason', async () => {
    const response = await fetch(`${registry.url}/v2/curl/manifests/latest`, {
      headers: { accept: OCI_INDEX },
    });
    expect(response.status).toBe(200);
    const json = JSON.parse(await response.text());
    expect(json.manifests.map((m: Descriptor) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
    ]);
    const warnings = logLines
      .map((line) => JSON.parse(line))
      .filter((l) => l.msg === 'platform left out of the image index' && l.image === 'curl');
    expect(warnings.map((w) => [w.platform, w.reason])).toEqual([
      ['linux/arm64/v8', 'packages-refused'],
      ['linux/riscv64', 'unsupported-system'],
    ]);
    expect(warnings[0].err).toMatch(/curl is refused \(unsupported-platform\)/);
  });

  test('a failure of the package itself fails the request with that reason', async () => {
    const response = await fetch(`${registry.url}/v2/brokendemo/manifests/latest`, {
      headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` },
    });
    const body = JSON.parse(await response.text());
    expect(response.status).toBe(500);
    expect(body.errors[0].code).toBe('MANIFEST_UNKNOWN');
    expect(body.errors[0].message).toMatch(/broken-demo/);
  });

  test('when no platform can be built, the error names each one and why', async () => {
    const other = await startTestRegistry({
      env: {
        NIXERY_PKGS_PATH: PACKAGE_SET,
        NIXERY_NIX_SUBSTITUTERS: '',
        NIXERY_NIX_EXTRA_PLATFORMS: 'aarch64-linux',
        NIXERY_PLATFORMS: 'linux/arm64,linux/riscv64',
      },
    });
    try {
      const response = await fetch(`${other.url}/v2/curl/manifests/latest`, {
        headers: { accept: OCI_INDEX },
      });
      const body = JSON.parse(await response.text());
      expect(response.status).toBe(400);
      expect(body.errors[0].code).toBe('UNSUPPORTED');
      expect(body.errors[0].message).toMatch(/no platform this registry serves can build curl/);
      expect(body.errors[0].message).toMatch(/linux\/arm64\/v8: curl is refused/);
      expect(body.errors[0].message).toMatch(
        /linux\/riscv64: this machine cannot build packages for riscv64-linux/,
      );
    } finally {
      await other.stop();
    }
  });
});

describe('containerd and podman pull the arm64 image, and run it under qemu-user-static', {
  timeout: 300_000,
}, () => {
  const image = () => `${registry.host}/hello:latest`;
  let containerd: Awaited<ReturnType<typeof containerdSandbox>>;
  let podman: Awaited<ReturnType<typeof podmanSandbox>>;
  beforeAll(async () => {
    containerd = await containerdSandbox();
    podman = await podmanSandbox();
  });
  afterAll(async () => {
    await containerd?.cleanup();
    await podman?.cleanup();
  });

  test('ctr images pull --platform linux/arm64 fetches the arm64 manifest, not the amd64 one', async () => {
    const pull = await containerd.ctr(
      ['images', 'pull', '--plain-http', '--platform', 'linux/arm64', image()],
      240_000,
    );
    expect(pull.exitCode, pull.stderr).toBe(0);
    const [amd64Entry, arm64Entry] = (await manifestAt('latest', DOCKER_LIST)).json.manifests as Descriptor[];
    const content = (await containerd.ctr(['content', 'ls', '-q'])).stdout.split('\n');
    expect(content).toContain(arm64Entry?.digest);
    expect(content).not.toContain(amd64Entry?.digest);
  });

  test('ctr run --platform linux/arm64 prints Hello, world!', async (ctx) => {
    if (!emulation.ok) ctx.skip(`no aarch64 emulation: ${emulation.reason}`);
    const run = await containerd.ctr(
      [
        'run',
        '--rm',
        '--platform',
        'linux/arm64',
        '--net-host',
        image(),
        `nixery-arm64-${process.pid}`,
        'hello',
      ],
      120_000,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('Hello, world!');
  });

  test('podman pull --arch arm64 gets the arm64 image', async () => {
    const pull = await podman.run(['pull', '--arch', 'arm64', '--tls-verify=false', image()], 240_000);
    expect(pull.exitCode, pull.stderr).toBe(0);
    const [inspected] = JSON.parse((await podman.run(['image', 'inspect', image()])).stdout);
    expect(inspected.Architecture).toBe('arm64');
  });

  test('podman run --arch arm64 prints Hello, world!', async (ctx) => {
    if (!emulation.ok) ctx.skip(`no aarch64 emulation: ${emulation.reason}`);
    const run = await podman.run(['run', '--rm', '--arch', 'arm64', ...CONTAINER_LIMITS, image(), 'hello']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('Hello, world!');
  });
});

describe('Docker Engine', { timeout: 300_000 }, () => {
  test('pulls the host platform from the index by default and runs it', async () => {
    const docker = await dockerSandbox();
    try {
      const image = `${registry.host}/hello:latest`;
      const pull = await docker.docker(['pull', image], { timeout: 240_000 });
      expect(pull.exitCode, pull.stderr).toBe(0);
      const digest = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(pull.stdout)?.[1];
      const lists = [await manifestAt('latest', DOCKER_LIST), await manifestAt('latest', OCI_INDEX)];
      expect(lists.map((l) => l.digest)).toContain(digest);
      const [inspected] = JSON.parse((await docker.docker(['image', 'inspect', image])).stdout);
      expect(inspected.Architecture).toBe('amd64');
      const run = await docker.runContainer(image, ['hello']);
      expect(run.stdout).toBe('Hello, world!');
    } finally {
      await docker.cleanup();
    }
  });
});
