import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BASE_ENV, CLI_MAIN, type CliResult, REPO_ROOT, runCli, temporaryDir } from './support/cli.js';

const work = temporaryDir('build');
const cacheDir = join(work.path, 'cache');
afterAll(() => work.remove());

interface Report {
  name: string;
  arch: string;
  tag: string;
  packages: string[];
  manifests: { docker: { digest: string }; oci: { digest: string; size: number } };
  config: { digest: string; size: number };
  layers: { digest: string; diffId: string; size: number; pathCount: number }[];
  output: { transport: string; path: string; reference: string };
  timings: { totalMs: number; nixMs: number; layersWritten: number; layersReused: number; outputMs: number };
}

const build = (args: string[]): Promise<CliResult> => runCli(['build', '--cache-dir', cacheDir, ...args]);

function json(command: string, args: string[]): unknown {
  return JSON.parse(execFileSync(command, args, { encoding: 'utf8' }));
}

describe('nixery build --out oci:DIR', () => {
  const layout = join(work.path, 'hello-oci');
  let first: Report;

  test('writes a layout that skopeo reads as the built image', async () => {
    const result = await build(['hello', '--out', `oci:${layout}`, '--json']);
    expect(result.stderr).not.toMatch(/nixery:/);
    expect(result.code).toBe(0);
    first = JSON.parse(result.stdout) as Report;
    expect(first).toMatchObject({
      name: 'hello',
      arch: 'amd64',
      tag: 'latest',
      output: { transport: 'oci', path: layout, reference: 'latest' },
    });
    expect(first.packages).toEqual(['cacert', 'hello', 'iana-etc']);
    expect(first.timings.layersWritten).toBe(first.layers.length);

    expect(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: first.manifests.oci.digest,
        size: first.manifests.oci.size,
        annotations: { 'org.opencontainers.image.ref.name': 'latest' },
      },
    ]);
    // Only the blobs of this image: manifest, config and layers, each named by its digest.
    const blobs = readdirSync(join(layout, 'blobs/sha256')).sort();
    const expected = [first.manifests.oci.digest, first.config.digest, ...first.layers.map((l) => l.digest)];
    expect(blobs).toEqual([...new Set(expected.map((d) => d.slice('sha256:'.length)))].sort());
    for (const layer of first.layers)
      expect(statSync(join(layout, 'blobs/sha256', layer.digest.slice(7))).size).toBe(layer.size);

    const inspected = json('skopeo', ['inspect', `oci:${layout}:latest`]) as {
      Digest: string;
      Architecture: string;
      Os: string;
      Layers: string[];
    };
    expect(inspected.Digest).toBe(first.manifests.oci.digest);
    expect(inspected).toMatchObject({ Architecture: 'amd64', Os: 'linux' });
    expect(inspected.Layers).toEqual(first.layers.map((l) => l.digest));
    const config = json('skopeo', ['inspect', '--config', `oci:${layout}:latest`]) as {
      rootfs: { diff_ids: string[] };
    };
    expect(config.rootfs.diff_ids).toEqual(first.layers.map((l) => l.diffId));
  });

  test('umoci unpacks it and bin/hello runs in the image root', () => {
    const bundle = join(work.path, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${layout}:latest`, bundle], { stdio: 'pipe' });
    const rootfs = join(bundle, 'rootfs');
    expect(existsSync(join(rootfs, 'bin/hello'))).toBe(true);
    expect(existsSync(join(rootfs, 'usr/bin/env'))).toBe(true);
    expect(statSync(join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777);
    const output = execFileSync('chroot', [rootfs, '/bin/hello'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(output).toBe('Hello, world!\n');
  });

  test('a second build reuses every layer and gives the same digests; a second tag joins the index', async () => {
    const result = await build(['hello', '--out', `oci:${layout}:again`, '--json']);
    expect(result.code).toBe(0);
    const second = JSON.parse(result.stdout) as Report;
    expect(second.manifests).toEqual(first.manifests);
    expect(second.layers).toEqual(first.layers);
    expect(second.timings).toMatchObject({ layersWritten: 0, layersReused: first.layers.length });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    expect(
      index.manifests.map(
        (m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'],
      ),
    ).toEqual(['latest', 'again']);
    const inspected = json('skopeo', ['inspect', `oci:${layout}:again`]) as { Digest: string };
    expect(inspected.Digest).toBe(first.manifests.oci.digest);
  });

  test('--gzip-level 1 writes other blobs of the same tars into the same cache; 10 is a usage error', async () => {
    const result = await build([
      'hello',
      '--gzip-level',
      '1',
      '--out',
      `oci:${join(work.path, 'fast')}`,
      '--json',
    ]);
    expect(result.code).toBe(0);
    const fast = JSON.parse(result.stdout) as Report;
    expect(fast.layers.map((l) => l.diffId)).toEqual(first.layers.map((l) => l.diffId));
    expect(fast.layers.map((l) => l.digest)).not.toEqual(first.layers.map((l) => l.digest));
    expect(fast.timings.layersReused).toBe(0);
    const bad = await build(['hello', '--gzip-level', '10', '--out', `oci:${join(work.path, 'never')}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/NIXERY_GZIP_LEVEL="10"/);
  });

  test('without --json: progress as plain lines on stderr (no terminal), one result line on stdout', async () => {
    const result = await build(['hello', '--out', `oci:${layout}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`oci:${layout}:latest ${first.manifests.oci.digest}\n`);
    expect(result.stderr).toMatch(/^building hello:latest\.\.\.$/m);
    expect(result.stderr).toMatch(/^wrote \d+ layers/m);
    expect(result.stderr).not.toContain('\x1b');
  });
});

describe('nixery build --out docker-archive:FILE', () => {
  test('podman load accepts the tarball and the image runs', async () => {
    const file = join(work.path, 'shell-hello.tar');
    const result = await build(['shell', 'hello', '--out', `docker-archive:${file}`, '--json']);
    expect(result.stderr).not.toMatch(/nixery:/);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.output.reference).toBe('shell/hello:latest');

    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' }));
    expect(manifest).toEqual([
      {
        Config: `${report.config.digest.slice(7)}.json`,
        RepoTags: ['shell/hello:latest'],
        Layers: report.layers.map((l) => `${l.digest.slice(7)}.tar.gz`),
      },
    ]);

    const podmanDir = join(work.path, 'podman');
    const podman = (args: string[]) =>
      execFileSync(
        'podman',
        [
          '--root',
          join(podmanDir, 'root'),
          '--runroot',
          join(podmanDir, 'run'),
          '--storage-driver',
          'vfs',
          '--cgroup-manager',
          'cgroupfs',
          '--events-backend',
          'file',
          '--runtime',
          'runc',
          ...args,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    const loaded = podman(['load', '-i', file]);
    expect(loaded).toMatch(/Loaded image.*shell\/hello:latest/);
    const images = JSON.parse(podman(['images', '--format', 'json'])) as { Id: string }[];
    expect(images).toHaveLength(1);
    expect(`sha256:${images[0]?.Id}`).toBe(report.config.digest);
    const output = podman([
      'run',
      '--rm',
      '--network',
      'none',
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=1024:1024',
      'localhost/shell/hello:latest',
      'sh',
      '-c',
      'hello && echo "$SSL_CERT_FILE"',
    ]);
    expect(output).toMatch(/^Hello, world!\n\/.*\.crt\n$/);
  });
});

describe('build failures have their own exit codes', () => {
  test('unknown package: 3, named on stderr, nothing written', async () => {
    const out = join(work.path, 'never');
    const result = await build(['hello', 'nosuchpackage', '--out', `oci:${out}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/unknown package: nosuchpackage/);
    expect(existsSync(out)).toBe(false);
  });

  test('a failing Nix build: 4, with the log tail', async () => {
    const result = await build(['brokendemo', '--out', `oci:${join(work.path, 'never')}`]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/Nix failed to build the image/);
    expect(result.stderr).toMatch(/brokenDemo: /);
  });

  test('Nix running past --nix-timeout: 5', async () => {
    const result = await build([
      'slowdemo',
      '--nix-timeout',
      '2',
      '--out',
      `oci:${join(work.path, 'never')}`,
    ]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/timed out after 2 s/);
  });
});

describe('nixery build: names, tags, architectures', () => {
  test('docker-archive:FILE:NAME:TAG sets RepoTags', async () => {
    const file = join(work.path, 'named.tar');
    const result = await build(['hello', '--out', `docker-archive:${file}:example.org/tools/hello:v1`]);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' }));
    expect(manifest[0].RepoTags).toEqual(['example.org/tools/hello:v1']);
  });

  test('a tag a local package set does not serve: 3', async () => {
    const result = await build(['hello', '--tag', 'v1', '--out', `oci:${join(work.path, 'never')}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/only the tag 'latest' exists/);
  });

  test('--platform linux/riscv64 asks Nix for riscv64-linux, which this machine cannot build: 4', async () => {
    const result = await build([
      'hello',
      '--platform',
      'linux/riscv64',
      '--out',
      `oci:${join(work.path, 'never')}`,
    ]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/riscv64-linux/);
  });

  test('--arch amd64 with a leading arm64 package is a contradiction: 2', async () => {
    const result = await build([
      'arm64',
      'hello',
      '--arch',
      'amd64',
      '--out',
      `oci:${join(work.path, 'never')}`,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--arch amd64 contradicts/);
  });
});

describe('nixery build streams layers', () => {
  test('exporting an 80 MB layer grows the resident set by far less than the layer', async () => {
    // llvm-libs holds 76 MiB of incompressible data (nix/README.md): its layer is about that big.
    const first = await build(['llvm-libs', '--out', `oci:${join(work.path, 'llvm-warm')}`, '--json', '-q']);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as Report;
    const biggest = Math.max(...report.layers.map((l) => l.size));
    expect(biggest).toBeGreaterThan(75_000_000);

    // GNU time's %M is the peak resident set in KiB, printed on stderr when the CLI exits.
    const peakRss = (packageName: string, out: string): number => {
      const args = ['build', '--cache-dir', cacheDir, packageName, '--out', out, '-q'];
      const timed = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, CLI_MAIN, ...args], {
        encoding: 'utf8',
        env: BASE_ENV,
        cwd: REPO_ROOT,
      });
      expect(timed.status).toBe(0);
      return Number(/maxrss=(\d+)/.exec(timed.stderr)?.[1]) * 1024;
    };
    // The same run for a 1 MB image is the baseline (Node, the libraries, Nix's JSON). Streaming
    // still grows the heap somewhat (Node frees 64 KiB chunks lazily: a plain fs copy of this
    // layer adds ~35 MB); holding the layer whole would add at least its full size.
    const baseline = peakRss('hello', `docker-archive:${join(work.path, 'small.tar')}`);
    expect(baseline).toBeGreaterThan(0);
    for (const out of [
      `docker-archive:${join(work.path, 'llvm.tar')}`,
      `oci:${join(work.path, 'llvm-oci')}`,
    ]) {
      expect(peakRss('llvm-libs', out) - baseline).toBeLessThan(biggest * 0.75);
    }
    expect(statSync(join(work.path, 'llvm.tar')).size).toBeGreaterThan(biggest);
  });
});
