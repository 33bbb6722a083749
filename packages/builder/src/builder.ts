import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
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
import {
  GetOrBuild,
  LayerCache,
  type LayerCacheEntry,
  ManifestCache,
  saltedKey,
  TtlTier,
} from '@nixery/cache';
import { sha256Hex } from '@nixery/digest';
import { DEFAULT_GROUPING_OPTIONS, type Layer } from '@nixery/layers';
import { buildImageConfig, buildManifests, imageEnv, MEDIA_TYPES } from '@nixery/manifest';
import { createGcRootFolder } from '@nixery/nix';
import { type ImageRequest, manifestCacheKey, type PackageSource } from '@nixery/source';
import { parseReferrerRecords, type Storage, StorageError } from '@nixery/storage';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import { ImageError } from './errors.js';
import {
  type BuildTimings,
  type ImageRecord,
  type LayerRecord,
  manifestObjectKey,
  type ReferrerRecord,
  referrersObjectKey,
} from './image-record.js';
import { writeImageSbom } from './image-sbom.js';
import { NameOutcomes } from './name-outcomes.js';
import { imageErrorFromNix } from './nix-failure.js';
import {
  type ClosureRun,
  type GroupingSettings,
  type ImageClosure,
  type ImagePlan,
  type NixSettings,
  planLayers,
  type ResolvedImage,
  resolveImage,
  runImageNix,
} from './pipeline.js';
import { reportingStorageFailures, sinkReportingOrigin } from './storage-failures.js';

export type BuilderEvent =
  /** A build is needed and waits for admission (see ImageBuilderOptions.admit); build-start follows once it runs. */
  | { type: 'build-queued'; image: string }
  | { type: 'build-start'; image: string }
  | { type: 'build-end'; image: string; timings: BuildTimings }
  | { type: 'build-failed'; image: string; error: ImageError; ms: number }
  | { type: 'manifest-cache'; image: string; hit: boolean }
  | { type: 'layer-cache'; key: string; hit: boolean }
  | { type: 'nix-log'; image: string; line: string }
  /** One Nix evaluation of the package set started (a pull may need several, or none). */
  | { type: 'nix-evaluation'; image: string };

/** Nix settings (NIX_TIMEOUT, …) and grouping settings (popularity, budget, strategy): see pipeline.ts. */
export interface ImageBuilderOptions extends NixSettings, GroupingSettings {
  storage: Storage;
  source: PackageSource;
  /** At most this many Nix evaluations at once across all builds (default: the core count). */
  evaluationConcurrency?: number;
  layerConcurrency?: number;
  gzipLevel?: number;
  /** Bounds of the root layer's symlink-forest walk; undefined keeps @nixery/archive's defaults. */
  forestLimits?: ForestLimits;
  /** Parent folder of the per-build GC-root folders; default @nixery/nix's defaultGcRootsParent(). */
  gcRootsDir?: string;
  /**
   * How long an image built from an unpinned source (a branch, a channel name, a local path) is
   * reused before Nix is asked again. Pinned sources are cached for good.
   */
  unpinnedTtlMs?: number;
  onEvent?: (event: BuilderEvent) => void;
  /**
   * Wraps the start of every build that getImage needs (never a cache hit): the registry's
   * admission gate. It calls `start` when the build may run, passing the signal the build obeys,
   * or rejects. `signal` aborts when no caller waits for the build any more. Default: start now.
   */
  admit?: BuildAdmission;
}

/** How a build is let in: see ImageBuilderOptions.admit. */
type BuildAdmission = <T>(signal: AbortSignal, start: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** Memory for manifests by digest: thousands of images' manifests (a few KiB each). */
const MANIFEST_MEMORY_BYTES = 16 * 1024 * 1024;

/**
 * The image pipeline: name → packages → Nix closure → layer groups (planImage) → layer blobs →
 * manifests (writeImage). Every stage that can be shared is: manifests by cache key, layers by
 * content key, names' outcomes by source, and concurrent requests for the same image or layer by
 * single flight.
 */
export class ImageBuilder {
  /** Images from pinned sources: kept for good, in memory and in storage. */
  private readonly pinnedImages: GetOrBuild<ImageRecord>;
  /** Images from unpinned sources: reused for `unpinnedTtlMs`, then asked of Nix again. */
  private readonly unpinnedImages: GetOrBuild<ImageRecord>;
  private readonly layers: GetOrBuild<LayerCacheEntry>;
  private readonly emit: (event: BuilderEvent) => void;
  private readonly evaluationSlot: <T>(run: () => Promise<T>) => Promise<T>;
  private readonly nameOutcomes: NameOutcomes;
  /** Storage whose failures are StorageErrors, whatever the driver threw. */
  private readonly store: Storage;
  /**
   * Manifests by digest (content-addressed, so never stale): a cached pull's HEAD and GET need no
   * storage read, which under a build storm waited behind gzip work in libuv's thread pool.
   */
  private readonly manifestBytes = new LRUCache<string, { bytes: Buffer; mediaType: string }>({
    maxSize: MANIFEST_MEMORY_BYTES,
    sizeCalculation: (manifest) => manifest.bytes.length + manifest.mediaType.length,
  });

  constructor(private readonly options: ImageBuilderOptions) {
    this.store = reportingStorageFailures(options.storage);
    this.evaluationSlot = pLimit(options.evaluationConcurrency ?? availableParallelism());
    this.nameOutcomes = new NameOutcomes(
      this.store,
      options.unpinnedTtlMs ?? 60_000,
      JSON.stringify({ allowUnfree: options.allowUnfree ?? false }),
    );
    this.pinnedImages = new GetOrBuild([new ManifestCache<ImageRecord>(this.store)]);
    this.unpinnedImages = new GetOrBuild([
      new TtlTier<ImageRecord>({ ttlMs: options.unpinnedTtlMs ?? 60_000 }),
    ]);
    this.layers = new GetOrBuild([new LayerCache(this.store)]);
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
    const image = resolveImage(name, tag, this.options.source);
    const { request, source: resolved } = image;
    const cacheKey = this.withGroupingSettings(manifestCacheKey(request, resolved));
    const [images, key] = cacheKey
      ? [this.pinnedImages, cacheKey]
      : [this.unpinnedImages, `${resolved.id}\0${request.arch}\0${request.packages.join('\0')}`];
    const admit: BuildAdmission = this.options.admit ?? ((signal, start) => start(signal));
    const outcome = await images.get(
      key,
      (signal) => {
        this.emit({ type: 'build-queued', image: request.name });
        return admit(signal, (admitted) => this.build(image, admitted));
      },
      {
        store: stripTimings,
        onLookup: (hit) => this.emit({ type: 'manifest-cache', image: request.name, hit }),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return outcome.value;
  }

  /**
   * The same packages grouped with another strategy or budget, or compressed at another gzip
   * level, are another image, so a cached record is only reused under the settings it was built
   * with. (The default level adds nothing, so keys from before the setting existed still hold.)
   */
  private withGroupingSettings(key: string | null): string | null {
    if (key === null) return null;
    const gzip = this.gzipSalt();
    const settings = `${this.options.layerStrategy ?? DEFAULT_GROUPING_OPTIONS.strategy}\0${this.options.layerBudget ?? DEFAULT_GROUPING_OPTIONS.budget}${gzip === '' ? '' : `\0${gzip}`}`;
    return saltedKey(key, settings);
  }

  /**
   * The layer cache key: a layer's content key salted with the compressed layout (layers written
   * before gzip members have other digests) and with the gzip level when not the default.
   */
  private layerCacheKey(contentKey: string): string {
    const gzip = this.gzipSalt();
    return saltedKey(contentKey, gzip === '' ? LAYER_GZIP_FORMAT : `${LAYER_GZIP_FORMAT}\0${gzip}`);
  }

  /** Empty at the default gzip level, so image keys from before the setting existed still hold. */
  private gzipSalt(): string {
    const level = this.options.gzipLevel ?? DEFAULT_COMPRESSION_LEVEL;
    return level === DEFAULT_COMPRESSION_LEVEL ? '' : `gzip${level}`;
  }

  /** The referrers of the manifest `digest` (its SBOM's artifact manifests); [] when none are known. */
  async getReferrers(digest: string): Promise<ReferrerRecord[]> {
    const stored = await this.store.getObject(referrersObjectKey(digest));
    return stored ? parseReferrerRecords(JSON.parse(stored.body.toString('utf8')) as unknown) : [];
  }

  /** A manifest by digest, as stored when an image was built (any instance sharing the storage). */
  async getManifest(digest: string): Promise<{ bytes: Buffer; mediaType: string } | null> {
    const remembered = this.manifestBytes.get(digest);
    if (remembered) return remembered;
    const stored = await this.store.getObject(manifestObjectKey(digest));
    if (!stored) return null;
    const manifest = { bytes: stored.body, mediaType: stored.contentType };
    this.manifestBytes.set(digest, manifest);
    return manifest;
  }

  /**
   * Stages 1–3 (name → request → closure → layer groups) without writing anything, using the
   * remembered name outcomes. Pass `gcRootDir` when the plan's paths must outlive a garbage
   * collection until writeImage has packed them.
   */
  async planImage(name: string, tag: string, run: ClosureRun = {}): Promise<ImagePlan> {
    const image = resolveImage(name, tag, this.options.source);
    return planLayers(image, await this.closure(image, run), this.options);
  }

  /**
   * Stages 4–5: the plan's layers (each unless the layer cache has it) and root layer, then the
   * config blob and both manifests, then the image's SBOM with an artifact manifest referring to
   * each of them. Returns the record and how many layers were written.
   */
  async writeImage(plan: ImagePlan, signal: AbortSignal): Promise<{ record: ImageRecord; written: number }> {
    let written = 0;
    const countingStore = async (source: LayerSource, key: string, pathCount: number) => {
      const { layer, reused } = await this.storeLayer(source, key, pathCount, signal);
      if (!reused) written++;
      return layer;
    };
    const limit = this.options.layerConcurrency ?? availableParallelism();
    const storeLayers = await buildLayersConcurrently(
      plan.layers.map(
        (group: Layer) => () =>
          countingStore({ kind: 'store-paths', paths: group.paths }, group.key, group.paths.length),
      ),
      limit,
    );
    const { packages, envPath } = plan.closure;
    const rootPaths = packages.flatMap((p) => p.outPaths);
    const rootLayer = await countingStore(
      { kind: 'root', packages: rootPaths, envPath },
      rootLayerKey(rootPaths, envPath),
      0,
    );
    const images = await this.writeManifests(plan.request, [...storeLayers, rootLayer]);
    const referrers = await writeImageSbom(this.store, plan, images.manifests);
    return { record: { ...images, referrers }, written };
  }

  /** Stage 2 through the name-outcome cache: a pull whose names are known to fail needs no Nix. */
  private async closure(image: ResolvedImage, run: ClosureRun): Promise<ImageClosure> {
    const { request, source } = image;
    const known = await this.nameOutcomes.knownFailure(source, request.system, request.packages);
    if (known) throw imageErrorFromNix(known);
    const nix = await runImageNix(
      { packages: request.packages, system: request.system, source },
      this.options,
      {
        evaluationSlot: this.evaluationSlot,
        onLogLine: (line: string) => this.emit({ type: 'nix-log', image: request.name, line }),
        onEvaluation: () => this.emit({ type: 'nix-evaluation', image: request.name }),
        ...run,
      },
    );
    await this.nameOutcomes.learn(source, request.system, request.packages, nix);
    if (!nix.ok) throw imageErrorFromNix(nix);
    return nix;
  }

  private async build(
    image: ResolvedImage,
    signal: AbortSignal,
  ): Promise<ImageRecord & { timings: BuildTimings }> {
    const { request } = image;
    const started = performance.now();
    this.emit({ type: 'build-start', image: request.name });
    // GC roots for the built paths live until the layers are written (see the finally below).
    // The folder is named after this process, so one left by a crash is known to be stale.
    const gcRootDir = await createGcRootFolder(this.options.gcRootsDir);
    try {
      const closure = await this.closure(image, { gcRootDir, signal });
      const nixDone = performance.now();
      const plan = planLayers(image, closure, this.options);
      const groupingDone = performance.now();
      const { record, written } = await this.writeImage(plan, signal);
      const done = performance.now();
      const timings: BuildTimings = {
        nixMs: Math.round(nixDone - started),
        groupingMs: Math.round(groupingDone - nixDone),
        layersMs: Math.round(done - groupingDone),
        totalMs: Math.round(done - started),
        layersWritten: written,
        layersReused: record.layers.length - written,
      };
      this.emit({ type: 'build-end', image: request.name, timings });
      return { ...record, timings };
    } catch (error) {
      // Nobody waits for this build any more: not a failure to report.
      if (signal.aborted) throw error;
      const failure = asImageError(error);
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
    // Builds sharing a layer share its write; it stops when none of them waits any more.
    const outcome = await this.layers.get(
      this.layerCacheKey(key),
      (layerSignal) => {
        const storage = this.store;
        return writeLayer(
          source,
          sinkReportingOrigin((compressed) =>
            storage.putBlob(compressed, { contentType: MEDIA_TYPES.docker.layer }),
          ),
          {
            compressionLevel: this.options.gzipLevel ?? DEFAULT_COMPRESSION_LEVEL,
            signal: layerSignal,
            ...(this.options.forestLimits ? { forestLimits: this.options.forestLimits } : {}),
          },
        );
      },
      {
        store: (built) => ({ ...built, mediaType: MEDIA_TYPES.docker.layer }),
        onLookup: (hit) => this.emit({ type: 'layer-cache', key, hit }),
        signal,
      },
    );
    const { digest, diffId, size } = outcome.value;
    return { layer: { digest, diffId, size, key, pathCount }, reused: outcome.from !== 'build' };
  }

  private async writeManifests(request: ImageRequest, layers: LayerRecord[]): Promise<ImageRecord> {
    const storage = this.store;
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
      this.manifestBytes.set(manifest.digest, { bytes: manifest.bytes, mediaType: manifest.mediaType });
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

/**
 * Names what went wrong, and nothing it is not: a storage failure is `storage-failed`, anything
 * else unforeseen is `internal` (the original kept as `cause` for the log).
 */
function asImageError(error: unknown): ImageError {
  const chain = causeChain(error);
  const known = chain.find((e) => e instanceof ImageError || e instanceof ForestLimitError);
  if (known instanceof ImageError) return known;
  if (known instanceof ForestLimitError) return imageErrorFromForest(known);
  const message = error instanceof Error ? error.message : String(error);
  if (chain.some((e) => e instanceof StorageError))
    return new ImageError('storage-failed', `storing the image failed: ${message}`, {}, { cause: error });
  return new ImageError(
    'internal',
    `building the image failed unexpectedly: ${message}`,
    {},
    { cause: error },
  );
}

/** The error and its causes, outermost first (bounded, in case of a cycle). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 8; e = (e as { cause?: unknown } | null)?.cause) {
    chain.push(e);
  }
  return chain;
}

/**
 * A root forest over its bounds. The deadline is a timeout like Nix's own. The entry and depth
 * bounds are a property of the requested packages, not of this moment: the same request would
 * fail again, so it is `forest-limit`, the client's to change.
 */
function imageErrorFromForest(error: ForestLimitError): ImageError {
  const detail = { reason: 'forest-limit', limit: error.reason, package: error.packagePath };
  if (error.reason === 'deadline') return new ImageError('timeout', error.message, detail);
  return new ImageError('forest-limit', error.message, detail);
}

function rootLayerKey(packages: string[], envPath: string | null): string {
  return sha256Hex(`root-layer\n${packages.join('\n')}\n\n${envPath ?? ''}`);
}

function stripTimings(record: ImageRecord & { timings?: BuildTimings }): ImageRecord {
  const { timings: _timings, ...rest } = record;
  return rest;
}
