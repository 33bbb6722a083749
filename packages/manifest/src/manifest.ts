import { sha256Digest } from '@nixery/digest';
import { canonicalJsonBytes } from './canonical-json.js';
import { assertDigest, ManifestError } from './errors.js';
import { type ImageConfig, serialiseImageConfig } from './image-config.js';
import { formatOfManifestType, type ManifestFormat, MEDIA_TYPES } from './media-types.js';

export interface LayerDescriptorInput {
  /** sha256 of the compressed (gzip) layer blob. */
  digest: string;
  /** Bytes of the compressed layer blob. */
  size: number;
}

export interface Blob {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  size: number;
}

export interface BuiltManifest {
  format: ManifestFormat;
  bytes: Buffer;
  digest: string;
  mediaType: string;
  /** The config blob the manifest points at; its bytes are the same for both formats. */
  configBlob: Blob;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ManifestJson {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

function checkLayer(layer: LayerDescriptorInput, index: number): void {
  assertDigest(layer.digest, `layers[${index}].digest`);
  if (!Number.isSafeInteger(layer.size) || layer.size < 0) {
    throw new ManifestError(`layers[${index}].size must be a non-negative integer, got ${layer.size}`);
  }
}

/**
 * Builds a Docker schema 2 or OCI image manifest for `config` and `layers` (in manifest order)
 * as canonical JSON (sorted keys, no whitespace). Only the chosen format's media types are used.
 */
export function buildManifest(
  format: ManifestFormat,
  config: ImageConfig,
  layers: LayerDescriptorInput[],
): BuiltManifest {
  const types = MEDIA_TYPES[format];
  if (!types) throw new ManifestError(`unknown manifest format ${String(format)}`);
  layers.forEach(checkLayer);
  if (layers.length !== config.rootfs.diff_ids.length) {
    throw new ManifestError(
      `the manifest has ${layers.length} layers but the config lists ${config.rootfs.diff_ids.length} diff_ids`,
    );
  }

  const configBytes = serialiseImageConfig(config);
  const configBlob: Blob = {
    bytes: configBytes,
    digest: sha256Digest(configBytes),
    mediaType: types.config,
    size: configBytes.length,
  };
  const manifest: ManifestJson = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
    layers: layers.map((layer) => ({ mediaType: types.layer, digest: layer.digest, size: layer.size })),
  };
  const bytes = canonicalJsonBytes(manifest);
  return { format, bytes, digest: sha256Digest(bytes), mediaType: types.manifest, configBlob };
}

/** Both formats at once (the config blob is shared: same bytes, same digest). */
export function buildManifests(
  config: ImageConfig,
  layers: LayerDescriptorInput[],
): Record<ManifestFormat, BuiltManifest> {
  return { docker: buildManifest('docker', config, layers), oci: buildManifest('oci', config, layers) };
}

/**
 * Parses a single-image manifest of either format and checks that it does not mix Docker and
 * OCI media types. Useful to validate what storage or another registry hands back.
 */
export function parseManifest(bytes: Uint8Array | string): ManifestJson & { format: ManifestFormat } {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ManifestError(`manifest is not JSON: ${(error as Error).message}`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (record.schemaVersion !== 2) throw new ManifestError('manifest schemaVersion must be 2');
  const format = typeof record.mediaType === 'string' ? formatOfManifestType(record.mediaType) : null;
  if (!format) throw new ManifestError(`unsupported manifest mediaType ${String(record.mediaType)}`);
  const types = MEDIA_TYPES[format];
  const descriptor = (item: unknown, what: string, mediaType: string): Descriptor => {
    const d = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (d.mediaType !== mediaType) {
      throw new ManifestError(
        `${what}.mediaType must be ${mediaType} in a ${format} manifest, got ${String(d.mediaType)}`,
      );
    }
    assertDigest(d.digest, `${what}.digest`);
    if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
      throw new ManifestError(`${what}.size must be a non-negative integer`);
    }
    return { mediaType, digest: d.digest, size: d.size };
  };
  if (!Array.isArray(record.layers)) throw new ManifestError('manifest layers must be a list');
  return {
    format,
    schemaVersion: 2,
    mediaType: types.manifest,
    config: descriptor(record.config, 'config', types.config),
    layers: record.layers.map((layer, index) => descriptor(layer, `layers[${index}]`, types.layer)),
  };
}
