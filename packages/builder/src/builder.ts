import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  buildLayersConcurrently,
  DEFAULT_COMPRESSION_LEVEL,
  ForestLimitError,
  type ForestLimits,
  LAYER_GZIP_FORMAT,
  type LayerSource,
  writeLayer,
} from '@nixery/archive';
import { LayerCache, ManifestCache, SingleFlight } from '@nixery/cache';
import {
  DEFAULT_GROUPING_OPTIONS,
  type GroupingStrategyName,
  groupLayers,
  type Layer,
  type Popularity,
} from '@nixery/layers';
import { buildImageConfig, buildManifests, imageEnv, MEDIA_TYPES } from '@nixery/manifest';
import { buildImageClosure, type NixResult } from '@nixery/nix';
import {
  type ImageRequest,
  manifestCacheKey,
  type PackageSource,
  parseImageName,
  type ResolvedSource,
  resolveSourceForTag,
  validateTag,
} from '@nixery/source';
import type { Storage } from '@nixery/storage';
import { ImageError } from './errors.js';
import { imageGroupingGraph } from './grouping-graph.js';
import { type BuildTimings, type ImageRecord, type LayerRecord, manifestObjectKey } from './image-record.js';

export type BuilderEvent =
  | { type: 'build-start'; image: string }
  | { type: 'build-end'; image: string; timings: BuildTimings }
  | { type: 'build-failed'; image: string; error: ImageError; ms: number }
  | { type: 'manifest-cache'; image: string; hit: boolean }
  | { type: 'layer-cache'; key: string; hit: boolean }
  | { type: 'nix-log'; image: string; line: string };

export interface ImageBuilderOptions {
  storage: Storage;
  source: PackageSource;
  /** Store-path-name → count; missing names count 1. */
  popularity?: Popularity;
  nixTimeoutSeconds?: number;
  /** Passed to Nix as `substituters`; undefined keeps Nix's own configuration. */
  nixSubstituters?: string;
  layerBudget?: number;
  /** How store paths are grouped into layers; undefined uses @nixery/layers' default (`stable`). */
  layerStrategy?: GroupingStrategyName;
  layerConcurrency?: number;
  gzipLevel?: number;
  /** Bounds of the root layer's symlink-forest walk; undefined keeps @nixery/archive's defaults. */
  forestLimits?: ForestLimits;
  /**
   * How long an image built from an unpinned source (a branch, a channel name, a local path) is
   * reused before Nix is asked again. Pinned sources are cached for good.
   */
  unpinnedTtlMs?: number;
  onEvent?: (event: BuilderEvent) => void;
}

interface RecentImage {
  record: ImageRecord;
  expiresAt: number;
}

/**
 * The image pipeline: name → packages → Nix closure → layer groups → layer blobs → manifests.
 * Every stage that can be shared is: manifests by cache key, layers by content key, and
 * concurrent requests for the same image or layer by single flight.
 */
export class ImageBuilder {
  private readonly layerCache: LayerCache;
  private readonly manifestCache: ManifestCache<ImageRecord>;
  private readonly imageFlights = new SingleFlight<string, ImageRecord>();
  private readonly layerFlights = new SingleFlight<string, LayerRecord>();
  private readonly recent = new Map<string, RecentImage>();
  private readonly emit: (event: BuilderEvent) => void;

  constructor(private readonly options: ImageBuilderOptions) {
    this.layerCache = new LayerCache(options.storage);
    this.manifestCache = new ManifestCache<ImageRecord>(options.storage);
    this.emit = options.onEvent ?? (() => {});
  }

  get storage(): Storage {
    return this.options.storage;
  }

  /**
   * Resolves `name:tag` to a built image, building it only when no cache can answer. `signal`
   * is the caller going away: the shared build is aborted once no caller waits for it.
   */
  async getImage(
    name: string,
    tag: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<ImageRecord & { timings?: BuildTimings }> {
    const request = parseRequest(name);
    try {
      validateTag(tag);
    } catch (error) {
      throw new ImageError('invalid-tag', 'TAG_INVALID', 400, (error as Error).message, { tag });
    }
    let resolved: ResolvedSource;
    try {
      resolved = resolveSourceForTag(this.options.source, tag);
    } catch (error) {
      throw new ImageError('tag-not-served', 'MANIFEST_UNKNOWN', 404, (error as Error).message, { tag });
    }

    const cacheKey = this.withGroupingSettings(manifestCacheKey(request, resolved));
    const flightKey = cacheKey ?? `${resolved.id}\0${request.arch}\0${request.packages.join('\0')}`;

    const recent = this.recent.get(flightKey);
    if (recent && recent.expiresAt > Date.now()) {
      this.emit({ type: 'manifest-cache', image: request.name, hit: true });
      return recent.record;
    }
    if (cacheKey) {
      const cached = await this.manifestCache.get(cacheKey);
      if (cached) {
        this.emit({ type: 'manifest-cache', image: request.name, hit: true });
        return cached;
      }
    }
    this.emit({ type: 'manifest-cache', image: request.name, hit: false });

    return this.imageFlights.run(
      flightKey,
      async (signal) => {
        const record = await this.build(request, resolved, signal);
        if (cacheKey) await this.manifestCache.put(cacheKey, stripTimings(record));
        else this.rememberUnpinned(flightKey, stripTimings(record));
        return record;
      },
      options.signal ? { signal: options.signal } : {},
    );
  }

  /**
   * The same packages grouped with another strategy or budget, or compressed at another gzip
   * level, are another image, so a cached record is only reused under the settings it was built
   * with. (The default level adds nothing, so keys from before the setting existed still hold.)
   */
  private withGroupingSettings(key: string | null): string | null {
    if (key === null) return null;
    const settings = `${this.options.layerStrategy ?? DEFAULT_GROUPING_OPTIONS.strategy}\0${this.options.layerBudget ?? DEFAULT_GROUPING_OPTIONS.budget}${this.gzipSuffix()}`;
    return createHash('sha256').update(`${key}\0${settings}`).digest('hex');
  }

  /**
   * The layer cache key: a layer's content key salted with the compressed layout (layers written
   * before gzip members have other digests) and with the gzip level when not the default.
   */
  private layerCacheKey(contentKey: string): string {
    return createHash('sha256')
      .update(`${contentKey}\0${LAYER_GZIP_FORMAT}${this.gzipSuffix()}`)
      .digest('hex');
  }

  private gzipSuffix(): string {
    const level = this.options.gzipLevel ?? DEFAULT_COMPRESSION_LEVEL;
    return level === DEFAULT_COMPRESSION_LEVEL ? '' : `\0gzip${level}`;
  }

  /** A manifest by digest, as stored when an image was built (any instance sharing the storage). */
  async getManifest(digest: string): Promise<{ bytes: Buffer; mediaType: string } | null> {
    const stored = await this.options.storage.getObject(manifestObjectKey(digest));
    return stored ? { bytes: stored.body, mediaType: stored.contentType } : null;
  }

  private rememberUnpinned(key: string, record: ImageRecord): void {
    const ttl = this.options.unpinnedTtlMs ?? 60_000;
    if (ttl <= 0) return;
    this.recent.set(key, { record, expiresAt: Date.now() + ttl });
    // Bounded: forget the oldest entries first (Map iterates in insertion order).
    while (this.recent.size > 1000) {
      const oldest = this.recent.keys().next().value as string;
      this.recent.delete(oldest);
    }
  }

  private async build(
    request: ImageRequest,
    resolved: ResolvedSource,
    signal: AbortSignal,
  ): Promise<ImageRecord & { timings: BuildTimings }> {
    const started = performance.now();
    this.emit({ type: 'build-start', image: request.name });
    // GC roots for the built paths live until the layers are written (see the finally below).
    const gcRootDir = await mkdtemp(join(tmpdir(), 'nixery-gcroots-'));
    try {
      const nix = await buildImageClosure(
        { packages: request.packages, system: request.system, source: resolved },
        {
          timeoutSeconds: this.options.nixTimeoutSeconds ?? 60,
          ...(this.options.nixSubstituters !== undefined
            ? { substituters: this.options.nixSubstituters }
            : {}),
          onLogLine: (line: string) => this.emit({ type: 'nix-log', image: request.name, line }),
          gcRootDir,
          signal,
        },
      );
      if (!nix.ok) throw imageErrorFromNix(nix);
      const nixDone = performance.now();

      const groups = groupLayers(imageGroupingGraph(nix.graph, nix.envPath), this.options.popularity ?? {}, {
        budget: this.options.layerBudget ?? DEFAULT_GROUPING_OPTIONS.budget,
        ...(this.options.layerStrategy !== undefined ? { strategy: this.options.layerStrategy } : {}),
      });
      const groupingDone = performance.now();

      let written = 0;
      const countingStore = async (source: LayerSource, key: string, pathCount: number) => {
        const { layer, reused } = await this.storeLayer(source, key, pathCount, signal);
        if (!reused) written++;
        return layer;
      };
      const limit = this.options.layerConcurrency ?? availableParallelism();
      const storeLayers = await buildLayersConcurrently(
        groups.map(
          (group: Layer) => () =>
            countingStore({ kind: 'store-paths', paths: group.paths }, group.key, group.paths.length),
        ),
        limit,
      );
      const rootPaths = nix.packages.flatMap((p) => p.outPaths);
      const rootLayer = await countingStore(
        { kind: 'root', packages: rootPaths, envPath: nix.envPath },
        rootLayerKey(rootPaths, nix.envPath),
        0,
      );
      const layers = [...storeLayers, rootLayer];

      const record = await this.writeManifests(request, layers);
      const done = performance.now();
      const timings: BuildTimings = {
        nixMs: Math.round(nixDone - started),
        groupingMs: Math.round(groupingDone - nixDone),
        layersMs: Math.round(done - groupingDone),
        totalMs: Math.round(done - started),
        layersWritten: written,
        layersReused: layers.length - written,
      };
      this.emit({ type: 'build-end', image: request.name, timings });
      return { ...record, timings };
    } catch (error) {
      // Nobody waits for this build any more: not a failure to report.
      if (signal.aborted) throw error;
      const failure =
        error instanceof ImageError
          ? error
          : error instanceof ForestLimitError
            ? imageErrorFromForest(error)
            : new ImageError(
                'storage-failed',
                'MANIFEST_UNKNOWN',
                500,
                `storing the image failed: ${(error as Error).message}`,
              );
      this.emit({
        type: 'build-failed',
        image: request.name,
        error: failure,
        ms: Math.round(performance.now() - started),
      });
      throw failure;
    } finally {
      await rm(gcRootDir, { recursive: true, force: true });
    }
  }

  /** Writes one layer unless the layer cache already has it; concurrent builds share the write. */
  private async storeLayer(
    source: LayerSource,
    key: string,
    pathCount: number,
    signal: AbortSignal,
  ): Promise<{ layer: LayerRecord; reused: boolean }> {
    const cacheKey = this.layerCacheKey(key);
    const cached = await this.layerCache.get(cacheKey);
    if (cached) {
      this.emit({ type: 'layer-cache', key, hit: true });
      const { digest, diffId, size } = cached;
      return { layer: { digest, diffId, size, key, pathCount }, reused: true };
    }
    this.emit({ type: 'layer-cache', key, hit: false });
    let wroteIt = false;
    // Builds sharing a layer share its write; it stops when none of them waits any more.
    const layer = await this.layerFlights.run(
      cacheKey,
      async (layerSignal) => {
        const storage = this.options.storage;
        const built = await writeLayer(
          source,
          (compressed) => storage.putBlob(compressed, { contentType: MEDIA_TYPES.docker.layer }),
          {
            compressionLevel: this.options.gzipLevel ?? DEFAULT_COMPRESSION_LEVEL,
            signal: layerSignal,
            ...(this.options.forestLimits ? { forestLimits: this.options.forestLimits } : {}),
          },
        );
        await this.layerCache.put(cacheKey, { ...built, mediaType: MEDIA_TYPES.docker.layer });
        wroteIt = true;
        return { ...built, key, pathCount };
      },
      { signal },
    );
    return { layer: { ...layer, pathCount }, reused: !wroteIt };
  }

  private async writeManifests(request: ImageRequest, layers: LayerRecord[]): Promise<ImageRecord> {
    const storage = this.options.storage;
    const env = imageEnv({ packages: request.packages });
    const config = buildImageConfig({ arch: request.arch, layers, ...env });
    const { docker, oci } = buildManifests(config, layers);
    // The config bytes are the same for both formats; only the media type naming them differs.
    // A warm rebuild writes nothing new: the config blob is only stored when missing.
    const configBlob = (await storage.statBlob(docker.configBlob.digest))
      ? { digest: docker.configBlob.digest, size: docker.configBlob.size }
      : await storage.putBlob(Readable.from([docker.configBlob.bytes]), {
          expectedDigest: docker.configBlob.digest,
          contentType: 'application/octet-stream',
        });
    for (const manifest of [docker, oci]) {
      await storage.putObject(manifestObjectKey(manifest.digest), manifest.bytes, manifest.mediaType);
    }
    return {
      name: request.name,
      arch: request.arch,
      packages: request.packages,
      manifests: {
        docker: { digest: docker.digest, mediaType: docker.mediaType, size: docker.bytes.length },
        oci: { digest: oci.digest, mediaType: oci.mediaType, size: oci.bytes.length },
      },
      config: { digest: configBlob.digest, size: configBlob.size },
      layers,
    };
  }
}

function parseRequest(name: string): ImageRequest {
  try {
    return parseImageName(name);
  } catch (error) {
    throw new ImageError('invalid-name', 'NAME_INVALID', 400, (error as Error).message, { name });
  }
}

/** How a failed Nix run is reported, for every caller of Nix (the builder, the CLI's `layers`). */
export function imageErrorFromNix(result: Exclude<NixResult, { ok: true }>): ImageError {
  switch (result.kind) {
    case 'unknown-packages':
      return new ImageError(
        'unknown-packages',
        'MANIFEST_UNKNOWN',
        404,
        `unknown package${result.names.length === 1 ? '' : 's'}: ${result.names.join(', ')}`,
        { packages: result.names },
      );
    case 'unsupported-system':
      return new ImageError('unsupported-system', 'UNSUPPORTED', 400, result.message, {
        system: result.system,
      });
    case 'timeout':
      return new ImageError(
        'timeout',
        'MANIFEST_UNKNOWN',
        504,
        `building the image timed out after ${result.seconds} s`,
        { reason: 'timeout', log: result.logTail },
      );
    case 'build-failed':
      return new ImageError('build-failed', 'MANIFEST_UNKNOWN', 500, 'Nix failed to build the image', {
        reason: 'build-failed',
        log: result.logTail,
      });
    case 'nix-missing':
      return new ImageError('nix-missing', 'MANIFEST_UNKNOWN', 503, result.message, {
        reason: 'nix-missing',
      });
  }
}

/**
 * A root forest over its bounds. The deadline is reported like Nix's own timeout (504). The
 * entry and depth bounds are a property of the requested packages, not of this moment: the
 * same request would fail again, so it is the client's to change (400), and UNSUPPORTED is the
 * protocol's code for a valid name this registry will not serve, as for a foreign system.
 */
function imageErrorFromForest(error: ForestLimitError): ImageError {
  const detail = { reason: 'forest-limit', limit: error.reason, package: error.packagePath };
  if (error.reason === 'deadline')
    return new ImageError('timeout', 'MANIFEST_UNKNOWN', 504, error.message, detail);
  return new ImageError('forest-limit', 'UNSUPPORTED', 400, error.message, detail);
}

function rootLayerKey(packages: string[], envPath: string | null): string {
  return createHash('sha256')
    .update(`root-layer\n${packages.join('\n')}\n\n${envPath ?? ''}`)
    .digest('hex');
}

function stripTimings(record: ImageRecord & { timings?: BuildTimings }): ImageRecord {
  const { timings: _timings, ...rest } = record;
  return rest;
}
