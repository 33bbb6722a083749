import { getMaxListeners, setMaxListeners } from 'node:events';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import {
  buildLayersConcurrently,
  DEFAULT_COMPRESSION_LEVEL,
  ForestLimitError,
  type ForestLimits,
  LAYER_GZIP_FORMAT,
  type LayerSource,
  SMALL_LAYERS_PER_SLOT,
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
import { buildPlannedClosure, createGcRootFolder } from '@nixery/nix';
import {
  defaultPlatform,
  forPlatform,
  hostPlatform,
  type ImageRequest,
  manifestCacheKey,
  namesPlatform,
  type PackageSource,
  type Platform,
  platformName,
  platformOfArch,
} from '@nixery/source';
import { isStorageUnavailable, parseReferrerRecords, type Storage, StorageError } from '@nixery/storage';
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
import { resolveImageNames } from './image-resolution.js';
import { storeImageSbom, writeSbomReferrers } from './image-sbom.js';
import { NameOutcomes } from './name-outcomes.js';
import { imageErrorFromNix } from './nix-failure.js';
import {
  type ClosureRun,
  type GroupingSettings,
  type ImageClosure,
  type ImagePlan,
  type NixSettings,
  nixOptions,
  planLayers,
  type ResolvedImage,
  resolveImage,
} from './pipeline.js';
import { buildPlatformIndexes, collectPlatformImages, type ImageIndexRecord } from './platform-images.js';
import { type BuildInfo, type BuildObserver, guardedObserver } from './progress.js';
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
  | { type: 'nix-evaluation'; image: string }
  /** That evaluation ended, however it ended. */
  | { type: 'nix-evaluation-end'; image: string }
  /** A platform that cannot be built here was left out of an image index. */
  | { type: 'platform-omitted'; image: string; platform: string; reason: string; message: string };

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
  /**
   * The platforms served (NIXERY_PLATFORMS), in index order; default the host's. A name without a
   * leading `arm64` builds for the host's platform among them (else the first); with two or
   * more, getImageIndex builds one image per platform.
   */
  platforms?: readonly Platform[];
  onEvent?: (event: BuilderEvent) => void;
  /**
   * Called as each build starts (not for answers from a cache); the observer it returns gets the
   * build's stages and Nix log lines. Concurrent callers of one image share one build.
   */
  observeBuild?: (build: BuildInfo) => BuildObserver | undefined;
  /**
   * Wraps the start of every build that getImage needs (never a cache hit): the registry's
   * admission gate. It calls `start` when the build may run, passing the signal the build obeys,
   * or rejects. `signal` aborts when no caller waits for the build any more. Default: start now.
   */
  admit?: BuildAdmission;
}

/** How a build is let in: see ImageBuilderOptions.admit. */
type BuildAdmission = <T>(signal: AbortSignal, start: (signal: AbortSignal) => Promise<T>) => Promise<T>;

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
  private readonly unpinnedTier: TtlTier<ImageRecord>;
  private readonly layers: GetOrBuild<LayerCacheEntry>;
  private readonly layerCache: LayerCache;
  /** Indexes, for a while: a platform left out may get a builder, so its absence is not kept for good. */
  private readonly indexes: GetOrBuild<ImageIndexRecord>;
  private readonly platforms: readonly Platform[];
  private readonly emit: (event: BuilderEvent) => void;
  private readonly evaluationSlot: <T>(run: () => Promise<T>) => Promise<T>;
  private readonly nameOutcomes: NameOutcomes;
  /** Storage whose failures are StorageErrors, whatever the driver threw. */
  private readonly store: Storage;

  constructor(private readonly options: ImageBuilderOptions) {
    this.store = reportingStorageFailures(options.storage);
    this.evaluationSlot = pLimit(options.evaluationConcurrency ?? availableParallelism());
    this.nameOutcomes = new NameOutcomes(
      this.store,
      options.unpinnedTtlMs ?? 60_000,
      JSON.stringify({ allowUnfree: options.allowUnfree ?? false }),
    );
    this.pinnedImages = new GetOrBuild([new ManifestCache<ImageRecord>(this.store)]);
    this.unpinnedTier = new TtlTier<ImageRecord>({ ttlMs: options.unpinnedTtlMs ?? 60_000 });
    this.unpinnedImages = new GetOrBuild([this.unpinnedTier]);
    this.layerCache = new LayerCache(this.store);
    this.layers = new GetOrBuild([this.layerCache]);
    this.indexes = new GetOrBuild([
      new TtlTier<ImageIndexRecord>({ ttlMs: options.unpinnedTtlMs ?? 60_000 }),
    ]);
    this.platforms =
      options.platforms && options.platforms.length > 0
        ? options.platforms
        : [hostPlatform() ?? platformOfArch('amd64')];
    this.emit = options.onEvent ?? (() => {});
  }

  get storage(): Storage {
    return this.options.storage;
  }

  /**
   * Resolves `name:tag` to a built image, building it only when no cache can answer. `signal`
   * is the caller going away: the shared build is aborted once no caller waits for it.
   * `reuseUntil` (ms since the epoch) is how long `name:tag` keeps resolving to this image
   * without Nix being asked again: Infinity for a pinned source, the end of the unpinned reuse
   * window otherwise (0 when nothing is reused), so callers may remember the answer as long.
   */
  async getImage(
    name: string,
    tag: string,
    options: { signal?: AbortSignal; requestId?: string; platform?: Platform } = {},
  ): Promise<ImageRecord & { timings?: BuildTimings; reuseUntil: number }> {
    const { image, images, key, pinned } = this.imageCacheEntry(name, tag, options.platform);
    const { request } = image;
    // The build function runs for the first caller only, so its request id names the build.
    const info: BuildInfo = {
      image: request.name,
      tag,
      arch: request.arch,
      system: request.system,
      requestId: options.requestId ?? null,
    };
    const outcome = await images.get(key, (signal) => this.admitAndBuild(image, info, signal), {
      store: stripTimings,
      onLookup: (hit) => this.emit({ type: 'manifest-cache', image: request.name, hit }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const reuseUntil = pinned ? Number.POSITIVE_INFINITY : (this.unpinnedTier.expiresAt(key) ?? 0);
    return { ...outcome.value, reuseUntil };
  }

  /**
   * Forgets what the caches hold for `name:tag`, so the next getImage builds it again: for an
   * image whose stored manifests were deleted (garbage collection on any instance) while a
   * cache here still names them.
   */
  async forgetImage(name: string, tag: string): Promise<void> {
    const index = this.indexCacheKey(name, tag);
    if (index !== null) await this.indexes.forget(index);
    for (const platform of [undefined, ...this.platforms]) {
      const { images, key } = this.imageCacheEntry(name, tag, platform);
      await images.forget(key);
    }
  }

  /** The cache (pinned or unpinned images) and key an image name and tag are looked up under. */
  private imageCacheEntry(name: string, tag: string, platform: Platform | undefined) {
    const image = this.resolveForPlatform(name, tag, platform);
    const { request, source: resolved } = image;
    const cacheKey = this.withGroupingSettings(manifestCacheKey(request, resolved));
    const [images, key] = cacheKey
      ? [this.pinnedImages, cacheKey]
      : [this.unpinnedImages, `${resolved.id}\0${request.arch}\0${request.packages.join('\0')}`];
    return { image, images, key, pinned: cacheKey !== null };
  }

  /**
   * `name:tag` for every served platform, as an image index (a Docker manifest list and an OCI
   * index, both stored by digest), or null when there is one image only: the name chose its
   * platform (`arm64/…`) or a single platform is served. Each platform is its own build (run
   * side by side under the usual limits); layers equal across platforms are the same blobs. A
   * platform that cannot be built here is left out (a `platform-omitted` event); a failure of
   * the image itself on any platform fails the index.
   */
  async getImageIndex(
    name: string,
    tag: string,
    options: { signal?: AbortSignal; requestId?: string } = {},
  ): Promise<ImageIndexRecord | null> {
    const { request } = resolveImage(name, tag, this.options.source);
    const key = this.indexCacheKey(name, tag);
    if (key === null) return null;
    const requestId = options.requestId;
    const build = (signal: AbortSignal) => this.buildIndex(name, tag, request, signal, requestId);
    const outcome = await this.indexes.get(key, build, {
      store: (record) => record,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return outcome.value;
  }

  /** The index cache's key of `name:tag`; null when it has a single image (see getImageIndex). */
  private indexCacheKey(name: string, tag: string): string | null {
    const { request, source } = resolveImage(name, tag, this.options.source);
    if (namesPlatform(request) || this.platforms.length < 2) return null;
    return [source.id, tag, request.name, ...this.platforms.map(platformName)].join('\0');
  }

  private async buildIndex(
    name: string,
    tag: string,
    request: ImageRequest,
    signal: AbortSignal,
    requestId: string | undefined,
  ): Promise<ImageIndexRecord> {
    const options = { signal, ...(requestId !== undefined ? { requestId } : {}) };
    const settled = await Promise.allSettled(
      this.platforms.map((platform) => this.getImage(name, tag, { ...options, platform }).then(stripTimings)),
    );
    if (signal.aborted) throw signal.reason;
    const { images, omitted } = collectPlatformImages(
      request.name,
      this.platforms.map((platform, i) => ({
        platform,
        result: settled[i] as PromiseSettledResult<ImageRecord>,
      })),
    );
    for (const o of omitted) this.emit({ type: 'platform-omitted', image: request.name, ...o });
    const indexes = buildPlatformIndexes(images);
    for (const index of [indexes.docker, indexes.oci]) {
      const key = manifestObjectKey(index.digest);
      if (!(await this.store.getObject(key))) await this.store.putObject(key, index.bytes, index.mediaType);
    }
    const ref = (i: { digest: string; mediaType: string; bytes: Buffer }) => ({
      digest: i.digest,
      mediaType: i.mediaType,
      size: i.bytes.length,
    });
    return {
      name: request.name,
      packages: request.packages,
      manifests: { docker: ref(indexes.docker), oci: ref(indexes.oci) },
      images,
      omitted,
    };
  }

  /** Stage 1 for one platform: a name with a leading `arm64` keeps it, others get `platform`. */
  private resolveForPlatform(name: string, tag: string, platform: Platform | undefined): ResolvedImage {
    const image = resolveImage(name, tag, this.options.source);
    if (namesPlatform(image.request)) return image;
    const chosen = platform ?? defaultPlatform(this.platforms);
    return { ...image, request: forPlatform(image.request, chosen) };
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
    // Not remembered here: garbage collection may delete it, and a null answer makes the
    // registry build the image again. The registry's warm path keeps served manifests in memory.
    const stored = await this.store.getObject(manifestObjectKey(digest));
    return stored ? { bytes: stored.body, mediaType: stored.contentType } : null;
  }

  /**
   * Stages 1–3 (name → request → closure → layer groups) without writing anything, using the
   * remembered name outcomes. Pass `gcRootDir` when the plan's paths must outlive a garbage
   * collection until writeImage has packed them.
   */
  async planImage(name: string, tag: string, run: ClosureRun = {}): Promise<ImagePlan> {
    const image = this.resolveForPlatform(name, tag, undefined);
    return planLayers(image, await this.closure(image, run), this.options);
  }

  /**
   * Stages 4–5: the plan's layers (each unless the layer cache has it) and root layer, then the
   * config blob and both manifests, then the image's SBOM with an artifact manifest referring to
   * each of them. Returns the record and how many layers were written.
   */
  async writeImage(
    plan: ImagePlan,
    signal: AbortSignal,
    options: { onLayer?: (finished: number, layers: number) => void } = {},
  ): Promise<{ record: ImageRecord; written: number }> {
    const first = await this.writeImageOnce(plan, signal, options);
    // Garbage collection on another instance may have deleted a reused (cached) layer while this
    // build ran; the manifests are written by now, so a later gc sees them. Layers are
    // reproducible: writing the missing ones again gives the same digests and the same manifests.
    // Layers this build wrote are checked too: a blob a service already had is kept as it was,
    // with its old time, so gc's grace does not cover it.
    const missing = await this.missingLayers(first.record);
    if (missing.length === 0) return first;
    for (const layer of missing) await this.layerCache.forget(this.layerCacheKey(layer.key));
    const second = await this.writeImageOnce(plan, signal, options);
    return { record: second.record, written: first.written + second.written };
  }

  private async missingLayers(record: ImageRecord): Promise<LayerRecord[]> {
    // A few at a time: one stat per layer, on a service a request each.
    const limit = pLimit(8);
    const present = await Promise.all(
      record.layers.map((layer) => limit(() => this.store.statBlob(layer.digest))),
    );
    return record.layers.filter((_, i) => present[i] === null);
  }

  private async writeImageOnce(
    plan: ImagePlan,
    signal: AbortSignal,
    options: { onLayer?: (finished: number, layers: number) => void },
  ): Promise<{ record: ImageRecord; written: number }> {
    let written = 0;
    let finished = 0;
    const layerCount = plan.layers.length + 1;
    options.onLayer?.(0, layerCount);
    let firstLayerDone = () => {};
    const firstLayer = new Promise<void>((resolve) => {
      firstLayerDone = resolve;
    });
    const countingStore = async (source: LayerSource, key: string, pathCount: number) => {
      const { layer, reused } = await this.storeLayer(source, key, pathCount, signal);
      if (!reused) written++;
      options.onLayer?.(++finished, layerCount);
      firstLayerDone();
      return layer;
    };
    const limit = this.options.layerConcurrency ?? availableParallelism();
    // Every layer in flight listens on the build's signal; on more than two cores that passed
    // Node's default of 10 and warned of a leak on every build.
    const inFlight = limit * (SMALL_LAYERS_PER_SLOT + 1);
    if (getMaxListeners(signal) < inFlight + 10) setMaxListeners(inFlight + 10, signal);
    const { packages, envPath } = plan.closure;
    const rootPaths = packages.flatMap((p) => p.outPaths);
    const layerJobs = [
      ...plan.layers.map((group: Layer) => ({
        build: () =>
          countingStore({ kind: 'store-paths', paths: group.paths }, group.key, group.paths.length),
        bytes: group.narSize,
        paths: group.paths.length,
      })),
      // Last in the queue, as it is last in the manifest; it starts as soon as a slot is free.
      () =>
        countingStore({ kind: 'root', packages: rootPaths, envPath }, rootLayerKey(rootPaths, envPath), 0),
    ];
    // The SBOM needs the plan only: it is serialised (~50 ms on this thread for thousands of
    // paths) and stored while the layers are written, once one has finished, so the large
    // layers' packing workers have all started first.
    const sbomStored = firstLayer.then(() => storeImageSbom(this.store, plan));
    sbomStored.catch(() => {}); // awaited below; a layer failing first must not leave it unhandled
    const layers = await buildLayersConcurrently(layerJobs, limit);
    const images = await this.writeManifests(plan.request, layers);
    const referrers = await writeSbomReferrers(this.store, await sbomStored, images.manifests);
    return { record: { ...images, referrers }, written };
  }

  /**
   * Stage 2 through the name outcomes: names seen before are not evaluated again (a pull of
   * remembered names runs no evaluation at all); then the derivations are built and measured.
   */
  private async closure(image: ResolvedImage, run: ClosureRun): Promise<ImageClosure> {
    const { request, source } = image;
    const target = { packages: request.packages, system: request.system, source };
    const options = nixOptions(this.options, {
      evaluationSlot: this.evaluationSlot,
      ...run,
      onLogLine: (line: string) => {
        this.emit({ type: 'nix-log', image: request.name, line });
        run.onLogLine?.(line);
      },
      onEvaluation: () => {
        this.emit({ type: 'nix-evaluation', image: request.name });
        run.onEvaluation?.();
      },
      onEvaluationEnd: () => {
        this.emit({ type: 'nix-evaluation-end', image: request.name });
        run.onEvaluationEnd?.();
      },
    });
    const plan = await resolveImageNames(this.nameOutcomes, target, options);
    if ('ok' in plan) throw imageErrorFromNix(plan);
    const nix = await buildPlannedClosure(target, plan, options);
    if (!nix.ok) throw imageErrorFromNix(nix);
    return nix;
  }

  /**
   * A build as the admission gate lets it run: on the board as `queued` while it waits, and
   * `failed` there if it never starts (refused, or every caller left while it waited).
   */
  private async admitAndBuild(
    image: ResolvedImage,
    info: BuildInfo,
    signal: AbortSignal,
  ): Promise<ImageRecord & { timings: BuildTimings }> {
    this.emit({ type: 'build-queued', image: image.request.name });
    const observer = guardedObserver(this.options.observeBuild?.(info));
    observer.stage({ stage: 'queued' });
    const admit: BuildAdmission = this.options.admit ?? ((signal, start) => start(signal));
    let started = false;
    try {
      return await admit(signal, (admitted) => {
        started = true;
        return this.build(image, observer, admitted);
      });
    } catch (error) {
      if (!started) {
        const message = error instanceof Error ? error.message : String(error);
        observer.stage({ stage: 'failed', reason: signal.aborted ? 'cancelled' : 'refused', message });
      }
      throw error;
    }
  }

  private async build(
    image: ResolvedImage,
    observer: BuildObserver,
    signal: AbortSignal,
  ): Promise<ImageRecord & { timings: BuildTimings }> {
    const { request } = image;
    const started = performance.now();
    this.emit({ type: 'build-start', image: request.name });
    // GC roots for the built paths live until the layers are written (see the finally below).
    // The folder is named after this process, so one left by a crash is known to be stale.
    const gcRootDir = await createGcRootFolder(this.options.gcRootsDir);
    try {
      const closure = await this.closure(image, { gcRootDir, signal, ...nixProgress(observer) });
      const nixDone = performance.now();
      observer.stage({ stage: 'grouping' });
      const plan = planLayers(image, closure, this.options);
      const groupingDone = performance.now();
      const { record, written } = await this.writeImage(plan, signal, {
        onLayer: (layer, layers) => observer.stage({ stage: 'writing', layer, layers }),
      });
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
      observer.stage({ stage: 'done', timings });
      return { ...record, timings };
    } catch (error) {
      // Nobody waits for this build any more: not a failure to report.
      if (signal.aborted) {
        observer.stage({ stage: 'failed', reason: 'cancelled', message: 'every client waiting for it left' });
        throw error;
      }
      const failure = asImageError(error);
      observer.stage({ stage: 'failed', reason: failure.reason, message: failure.message });
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
          sinkReportingOrigin(async (compressed) => {
            const stored = await storage.putBlob(compressed, { contentType: MEDIA_TYPES.docker.layer });
            this.layerCache.noteStored(stored); // recording the layer need not stat it again
            return stored;
          }),
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
      : await storage.putBlob(docker.configBlob.bytes, {
          expectedDigest: docker.configBlob.digest,
          contentType: 'application/octet-stream',
        });
    // After the config, so no stored manifest ever names a missing one.
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

/**
 * Names what went wrong, and nothing it is not: a storage failure is `storage-failed`
 * (`storage-unavailable` when the service was out of reach, so a retry may succeed), anything
 * else unforeseen is `internal` (the original kept as `cause` for the log).
 */
function asImageError(error: unknown): ImageError {
  const chain = causeChain(error);
  const known = chain.find((e) => e instanceof ImageError || e instanceof ForestLimitError);
  if (known instanceof ImageError) return known;
  if (known instanceof ForestLimitError) return imageErrorFromForest(known);
  const message = error instanceof Error ? error.message : String(error);
  if (chain.some((e) => e instanceof StorageError)) {
    if (isStorageUnavailable(error)) {
      return new ImageError(
        'storage-unavailable',
        `storage is unavailable: ${message}`,
        {},
        { cause: error },
      );
    }
    return new ImageError('storage-failed', `storing the image failed: ${message}`, {}, { cause: error });
  }
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

/** A build's Nix steps as its stages, and Nix's log lines as its log. */
function nixProgress(observer: BuildObserver): Pick<ClosureRun, 'onStep' | 'onBuildProgress' | 'onLogLine'> {
  let evaluations = 0;
  const idle = { derivations: { total: 0, started: 0 }, fetches: { total: 0, started: 0 }, current: null };
  return {
    onStep: (step) => {
      if (step === 'evaluation') observer.stage({ stage: 'evaluating', evaluations: ++evaluations });
      else if (step === 'build') observer.stage({ stage: 'building', ...idle });
    },
    onBuildProgress: (progress) => observer.stage({ stage: 'building', ...progress }),
    onLogLine: (line) => observer.log(line),
  };
}

function rootLayerKey(packages: string[], envPath: string | null): string {
  return sha256Hex(`root-layer\n${packages.join('\n')}\n\n${envPath ?? ''}`);
}

function stripTimings(record: ImageRecord & { timings?: BuildTimings }): ImageRecord {
  const { timings: _timings, ...rest } = record;
  return rest;
}
