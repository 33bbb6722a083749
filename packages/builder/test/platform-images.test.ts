// Which platform failures leave a platform out of an index and which fail it, and the index
// documents made from per-platform records. In memory; the real builds are e2e/test/multiarch.
import { createHash } from 'node:crypto';
import { parseImageIndex } from '@nixery/manifest';
import { platformOfArch } from '@nixery/source';
import { describe, expect, test } from 'vitest';
import { ImageError } from '../src/errors.js';
import type { ImageRecord } from '../src/image-record.js';
import { buildPlatformIndexes, collectPlatformImages, platformCannotBuild } from '../src/platform-images.js';

const digest = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const amd64 = platformOfArch('amd64');
const arm64 = platformOfArch('arm64');
const riscv64 = platformOfArch('riscv64');

function record(arch: 'amd64' | 'arm64'): ImageRecord {
  const ref = (format: string, type: string) => ({
    digest: digest(`${arch}-${format}`),
    mediaType: type,
    size: 100,
  });
  return {
    name: 'hello',
    arch,
    packages: ['cacert', 'hello', 'iana-etc'],
    manifests: {
      docker: ref('docker', 'application/vnd.docker.distribution.manifest.v2+json'),
      oci: ref('oci', 'application/vnd.oci.image.manifest.v1+json'),
    },
    config: { digest: digest(`${arch}-config`), size: 10 },
    layers: [],
  };
}

const noBuilder = new ImageError(
  'unsupported-system',
  'this machine cannot build packages for riscv64-linux',
  {
    system: 'riscv64-linux',
  },
);
const notOnPlatform = new ImageError('packages-refused', 'git is refused (unsupported-platform): …', {
  problems: [{ name: 'git', problem: 'refused', refusal: 'unsupported-platform' }],
});
const unfree = new ImageError('packages-refused', 'x is refused (unfree)', {
  problems: [{ name: 'x', problem: 'refused', refusal: 'unfree' }],
});
const ok = (arch: 'amd64' | 'arm64'): PromiseSettledResult<ImageRecord> => ({
  status: 'fulfilled',
  value: record(arch),
});
const failed = (reason: unknown): PromiseSettledResult<ImageRecord> => ({ status: 'rejected', reason });

describe('platformCannotBuild', () => {
  test('no builder, or the set says the package is not for this platform', () => {
    expect(platformCannotBuild(noBuilder)).toBe(true);
    expect(platformCannotBuild(notOnPlatform)).toBe(true);
  });
  test('anything about the image itself is not', () => {
    expect(platformCannotBuild(unfree)).toBe(false);
    expect(platformCannotBuild(new ImageError('build-failed', 'Nix failed'))).toBe(false);
    expect(platformCannotBuild(new ImageError('unknown-packages', 'unknown package: x'))).toBe(false);
    expect(platformCannotBuild(new ImageError('timeout', 'timed out'))).toBe(false);
    // A mixed refusal (one package not for the platform, another unfree) is the request's.
    const mixed = new ImageError('packages-refused', 'both', {
      problems: [{ refusal: 'unsupported-platform' }, { refusal: 'unfree' }],
    });
    expect(platformCannotBuild(mixed)).toBe(false);
  });
});

describe('collectPlatformImages', () => {
  test('leaves out the platforms that cannot be built, in the served order', () => {
    const { images, omitted } = collectPlatformImages('hello', [
      { platform: amd64, result: ok('amd64') },
      { platform: arm64, result: failed(notOnPlatform) },
      { platform: riscv64, result: failed(noBuilder) },
    ]);
    expect(images.map((i) => i.platform)).toEqual([amd64]);
    expect(omitted).toEqual([
      { platform: 'linux/arm64/v8', reason: 'packages-refused', message: notOnPlatform.message },
      { platform: 'linux/riscv64', reason: 'unsupported-system', message: noBuilder.message },
    ]);
  });

  test("a platform's own failure fails the whole index with that error", () => {
    const broken = new ImageError('build-failed', 'Nix failed to build the image');
    expect(() =>
      collectPlatformImages('hello', [
        { platform: amd64, result: ok('amd64') },
        { platform: arm64, result: failed(broken) },
        { platform: riscv64, result: failed(noBuilder) },
      ]),
    ).toThrow(broken);
    const bug = new Error('unexpected');
    expect(() => collectPlatformImages('hello', [{ platform: amd64, result: failed(bug) }])).toThrow(bug);
  });

  test('none can be built: one unsupported-system error naming each platform and why', () => {
    let error: unknown;
    try {
      collectPlatformImages('git', [
        { platform: arm64, result: failed(notOnPlatform) },
        { platform: riscv64, result: failed(noBuilder) },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).reason).toBe('unsupported-system');
    expect((error as ImageError).message).toBe(
      `no platform this registry serves can build git: linux/arm64/v8: ${notOnPlatform.message}; linux/riscv64: ${noBuilder.message}`,
    );
  });
});

describe('buildPlatformIndexes', () => {
  test('a Docker list of the Docker manifests and an OCI index of the OCI manifests, with platforms', () => {
    const images = [
      { platform: amd64, image: record('amd64') },
      { platform: arm64, image: record('arm64') },
    ];
    const { docker, oci } = buildPlatformIndexes(images);
    const list = parseImageIndex(docker.bytes);
    const index = parseImageIndex(oci.bytes);
    expect(list.format).toBe('docker');
    expect(index.format).toBe('oci');
    expect(list.manifests.map((m) => m.digest)).toEqual([digest('amd64-docker'), digest('arm64-docker')]);
    expect(index.manifests.map((m) => m.digest)).toEqual([digest('amd64-oci'), digest('arm64-oci')]);
    expect(index.manifests.map((m) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    expect(buildPlatformIndexes(images).oci.digest).toBe(oci.digest);
  });
});
