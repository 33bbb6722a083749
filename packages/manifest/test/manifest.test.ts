import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  buildImageConfig,
  buildManifest,
  buildManifests,
  canonicalJson,
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  IMAGE_CREATED,
  type ImageConfig,
  ManifestError,
  OCI_CONFIG,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  parseImageConfig,
  parseManifest,
} from '../src/index.js';

const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');
const digest = (seed: string) => `sha256:${hex(seed)}`;
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const layers = [
  { digest: digest('gz-1'), diffId: digest('tar-1'), size: 1234 },
  { digest: digest('gz-2'), diffId: digest('tar-2'), size: 99 },
  { digest: digest('gz-root'), diffId: digest('tar-root'), size: 512 },
];

function config(): ImageConfig {
  return buildImageConfig({
    arch: 'amd64',
    layers,
    env: ['PATH=/bin:/usr/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt'],
    cmd: ['bash'],
  });
}

describe('buildImageConfig', () => {
  test('has the fields clients need, PascalCase Env/Cmd and the fixed created time', () => {
    const built = config();
    expect(built).toEqual({
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:01Z',
      config: { Env: ['PATH=/bin:/usr/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt'], Cmd: ['bash'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    });
    expect(IMAGE_CREATED).toBe('1970-01-01T00:00:01Z');
    expect(new Date(IMAGE_CREATED).getTime()).toBe(1000);
    expect('history' in built).toBe(false);
    const withoutCmd = buildImageConfig({ arch: 'arm64', layers, env: [] });
    expect(withoutCmd.config).toEqual({ Env: [] });
    expect(withoutCmd.architecture).toBe('arm64');
  });

  test('rejects malformed diffIds and unknown architectures', () => {
    expect(() => buildImageConfig({ arch: 'amd64', layers: [{ diffId: 'sha256:abc' }], env: [] })).toThrow(
      ManifestError,
    );
    expect(() => buildImageConfig({ arch: 'x86' as 'amd64', layers: [], env: [] })).toThrow(/architecture/);
  });
});

describe('buildManifest', () => {
  test('Docker manifest: canonical bytes with only Docker media types, digest = sha256(bytes)', () => {
    const manifest = buildManifest('docker', config(), layers);
    expect(manifest.mediaType).toBe(DOCKER_MANIFEST);
    expect(manifest.digest).toBe(sha256(manifest.bytes));
    expect(manifest.configBlob.digest).toBe(sha256(manifest.configBlob.bytes));
    expect(manifest.configBlob.size).toBe(manifest.configBlob.bytes.length);
    const json = JSON.parse(manifest.bytes.toString('utf8'));
    expect(json).toEqual({
      config: {
        digest: manifest.configBlob.digest,
        mediaType: DOCKER_CONFIG,
        size: manifest.configBlob.size,
      },
      layers: layers.map((l) => ({ digest: l.digest, mediaType: DOCKER_LAYER_GZIP, size: l.size })),
      mediaType: DOCKER_MANIFEST,
      schemaVersion: 2,
    });
    const text = manifest.bytes.toString('utf8');
    expect(text).not.toMatch(/vnd\.oci/);
    expect(text).not.toMatch(/\s/);
    expect(text.startsWith('{"config":{"digest":')).toBe(true);
  });

  test('OCI manifest: only OCI media types', () => {
    const manifest = buildManifest('oci', config(), layers);
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    const text = manifest.bytes.toString('utf8');
    expect(text).not.toMatch(/vnd\.docker/);
    const json = JSON.parse(text);
    expect(json.mediaType).toBe(OCI_MANIFEST);
    expect(json.config.mediaType).toBe(OCI_CONFIG);
    expect(json.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      OCI_LAYER_GZIP,
      OCI_LAYER_GZIP,
      OCI_LAYER_GZIP,
    ]);
  });

  test('both formats share the config bytes; manifests differ', () => {
    const both = buildManifests(config(), layers);
    expect(both.docker.configBlob.bytes.equals(both.oci.configBlob.bytes)).toBe(true);
    expect(both.docker.configBlob.digest).toBe(both.oci.configBlob.digest);
    expect(both.docker.configBlob.mediaType).toBe(DOCKER_CONFIG);
    expect(both.oci.configBlob.mediaType).toBe(OCI_CONFIG);
    expect(both.docker.digest).not.toBe(both.oci.digest);
  });

  test('same input gives the same bytes, however the objects were built', () => {
    const first = buildManifest('docker', config(), layers);
    const shuffledConfig = JSON.parse(
      JSON.stringify({
        rootfs: { diff_ids: layers.map((l) => l.diffId), type: 'layers' },
        os: 'linux',
        config: { Cmd: ['bash'], Env: ['PATH=/bin:/usr/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt'] },
        created: '1970-01-01T00:00:01Z',
        architecture: 'amd64',
      }),
    ) as ImageConfig;
    const second = buildManifest(
      'docker',
      shuffledConfig,
      layers.map((l) => ({ size: l.size, digest: l.digest })),
    );
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.digest).toBe(first.digest);
    expect(first.configBlob.bytes.toString('utf8')).toBe(
      `{"architecture":"amd64","config":{"Cmd":["bash"],"Env":["PATH=/bin:/usr/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt"]},"created":"1970-01-01T00:00:01Z","os":"linux","rootfs":{"diff_ids":[${layers.map((l) => `"${l.diffId}"`).join(',')}],"type":"layers"}}`,
    );
  });

  test('layer order matters and is kept', () => {
    const forward = buildManifest('oci', config(), layers);
    const reversedConfig = buildImageConfig({ arch: 'amd64', layers: [...layers].reverse(), env: [] });
    const reversed = buildManifest('oci', reversedConfig, [...layers].reverse());
    expect(reversed.digest).not.toBe(forward.digest);
    expect(JSON.parse(reversed.bytes.toString()).layers[0].digest).toBe(layers[2]?.digest);
  });

  test('rejects bad layer descriptors and a layer count that does not match the config', () => {
    expect(() => buildManifest('docker', config(), layers.slice(1))).toThrow(/3 diff_ids/);
    expect(() =>
      buildManifest('docker', config(), [...layers.slice(1), { digest: 'md5:x', size: 1 }]),
    ).toThrow(ManifestError);
    expect(() =>
      buildManifest('docker', config(), [...layers.slice(1), { digest: digest('x'), size: -1 }]),
    ).toThrow(/size/);
  });
});

describe('parsing', () => {
  test('round-trips our manifests and configs', () => {
    for (const manifest of Object.values(buildManifests(config(), layers))) {
      const parsed = parseManifest(manifest.bytes);
      expect(parsed.format).toBe(manifest.format);
      expect(parsed.layers.map((l) => l.digest)).toEqual(layers.map((l) => l.digest));
      expect(parseImageConfig(manifest.configBlob.bytes)).toEqual(config());
    }
  });

  test('refuses manifests that mix Docker and OCI media types', () => {
    const docker = JSON.parse(buildManifest('docker', config(), layers).bytes.toString());
    docker.layers[1].mediaType = OCI_LAYER_GZIP;
    expect(() => parseManifest(JSON.stringify(docker))).toThrow(/must be application\/vnd\.docker/);
    expect(() => parseManifest('{"schemaVersion":1}')).toThrow(ManifestError);
    expect(() => parseManifest('not json')).toThrow(/not JSON/);
  });

  test('keeps a foreign config without created as it is, and refuses a non-string created', () => {
    const good = JSON.parse(buildManifest('oci', config(), layers).configBlob.bytes.toString());
    const { created: _dropped, ...withoutCreated } = good;
    const parsed = parseImageConfig(JSON.stringify(withoutCreated));
    expect('created' in parsed).toBe(false);
    expect(parsed.rootfs.diff_ids).toEqual(layers.map((l) => l.diffId));
    expect(() => parseImageConfig(JSON.stringify({ ...good, created: 1 }))).toThrow(
      /created must be a string/,
    );
  });

  test('refuses configs without a config object or with bad diff_ids', () => {
    const good = JSON.parse(buildManifest('oci', config(), layers).configBlob.bytes.toString());
    expect(() => parseImageConfig(JSON.stringify({ ...good, config: null }))).toThrow(/non-null config/);
    expect(() =>
      parseImageConfig(JSON.stringify({ ...good, rootfs: { type: 'layers', diff_ids: ['x'] } })),
    ).toThrow(/diff_ids\[0\]/);
  });
});

describe('canonicalJson', () => {
  test('sorts keys byte-wise at every level, keeps arrays in order, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, { z: 1, Z: 2 }], c: undefined }, A: 'x' })).toBe(
      '{"A":"x","a":{"d":[3,1,{"Z":2,"z":1}]},"b":1}',
    );
  });
});
