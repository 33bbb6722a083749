import { canonicalJsonBytes } from './canonical-json.js';
import { assertDigest, ManifestError } from './errors.js';

/** The architectures images are built for (Go's GOARCH names, as the specs use them). */
export const ARCHITECTURES = ['amd64', 'arm64', 'riscv64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

function isArchitecture(value: unknown): value is Architecture {
  return (ARCHITECTURES as readonly unknown[]).includes(value);
}

/**
 * The fixed `created` time of every image we build: one second after the epoch, as nixpkgs'
 * image builders write it. Clients show a date instead of "N/A", and the config (so the
 * manifest digest) stays the same for the same layers.
 */
export const IMAGE_CREATED = '1970-01-01T00:00:01Z';

/** The image config (the same JSON for Docker and OCI; only its media type differs). */
export interface ImageConfig {
  architecture: Architecture;
  os: 'linux';
  /** RFC 3339; ours is always IMAGE_CREATED, a parsed config may have none. */
  created?: string;
  config: { Env: string[]; Cmd?: string[] };
  rootfs: { type: 'layers'; diff_ids: string[] };
}

export interface ImageConfigInput {
  arch: Architecture;
  /** In manifest order; `diffId` is the sha256 of the uncompressed layer tar. */
  layers: { diffId: string }[];
  env: string[];
  cmd?: string[] | undefined;
}

/**
 * Builds the image config. `created` is the fixed IMAGE_CREATED and there is no history, so the
 * same layers and settings always give the same config digest.
 */
export function buildImageConfig(input: ImageConfigInput): ImageConfig {
  if (!isArchitecture(input.arch)) {
    throw new ManifestError(`unsupported architecture ${String(input.arch)}`);
  }
  const diffIds = input.layers.map((layer, index) => {
    assertDigest(layer.diffId, `layers[${index}].diffId`);
    return layer.diffId;
  });
  const config: ImageConfig['config'] = { Env: [...input.env] };
  if (input.cmd !== undefined) config.Cmd = [...input.cmd];
  return {
    architecture: input.arch,
    os: 'linux',
    created: IMAGE_CREATED,
    config,
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
}

export function serialiseImageConfig(config: ImageConfig): Buffer {
  return canonicalJsonBytes(config);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Parses and checks an image config blob (ours or any Docker/OCI config with the same fields). */
export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ManifestError(`image config is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) throw new ManifestError('image config must be an object');
  const record = value as Record<string, unknown>;
  if (!isArchitecture(record.architecture)) {
    throw new ManifestError(`image config has unsupported architecture ${String(record.architecture)}`);
  }
  if (record.os !== 'linux')
    throw new ManifestError(`image config os must be linux, got ${String(record.os)}`);
  const created = record.created;
  if (created !== undefined && typeof created !== 'string')
    throw new ManifestError('image config created must be a string (RFC 3339)');
  const rootfs = record.rootfs as Record<string, unknown> | undefined;
  if (rootfs?.type !== 'layers' || !isStringArray(rootfs.diff_ids)) {
    throw new ManifestError('image config rootfs must be {type: "layers", diff_ids: [...]}');
  }
  rootfs.diff_ids.forEach((id, index) => {
    assertDigest(id, `rootfs.diff_ids[${index}]`);
  });
  const config = record.config as Record<string, unknown> | null | undefined;
  if (typeof config !== 'object' || config === null)
    throw new ManifestError('image config needs a non-null config');
  const env = config.Env ?? [];
  if (!isStringArray(env)) throw new ManifestError('config.Env must be a list of strings');
  if (config.Cmd !== undefined && !isStringArray(config.Cmd)) {
    throw new ManifestError('config.Cmd must be a list of strings');
  }
  const parsedConfig: ImageConfig['config'] = { Env: env };
  if (config.Cmd !== undefined) parsedConfig.Cmd = config.Cmd as string[];
  return {
    architecture: record.architecture,
    os: 'linux',
    ...(typeof created === 'string' && { created }),
    config: parsedConfig,
    rootfs: { type: 'layers', diff_ids: rootfs.diff_ids },
  };
}
