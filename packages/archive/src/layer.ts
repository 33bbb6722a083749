import { PassThrough, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestStream } from '@nixery/digest';
import { DEFAULT_COMPRESSION_LEVEL, GzipHeaderPin, isCompressionLevel } from './gzip.js';
import { createMemberGzip, MemberGzip } from './gzip-members.js';
import { recycleChunk, WorkerTarStream } from './pack-pool.js';
import { rootTar } from './root-forest.js';
import { type BlobSink, settleTogether } from './sink.js';
import { type StorePathOptions, storePathsTar } from './store-paths.js';
import type { ForestLimits } from './walk-limits.js';

export type LayerSource =
  | { kind: 'store-paths'; paths: string[] }
  | { kind: 'root'; packages: string[]; envPath: string | null };

export interface BuiltLayer {
  /** `sha256:<hex>` of the gzip stream (the manifest's layer digest). */
  digest: string;
  /** `sha256:<hex>` of the uncompressed tar (the config's diff_id). */
  diffId: string;
  /** Bytes of the gzip stream. */
  size: number;
}

export interface LayerTarOptions extends StorePathOptions {
  /** Bounds of the root layer's forest walk (ignored for store-path layers). */
  forestLimits?: ForestLimits;
}

export interface LayerOptions extends LayerTarOptions {
  /** gzip level 0–9 (default 6). */
  compressionLevel?: number;
  /**
   * Supplies the compressor; defaults to {@link createMemberGzip}: 1 MiB gzip members compressed
   * in parallel in the compression worker threads.
   */
  createCompressor?: (level: number) => Transform;
}

/** The uncompressed tar stream for a layer source. */
export function layerTar(source: LayerSource, options: LayerTarOptions = {}): Readable {
  const { forestLimits, ...walk } = options;
  switch (source.kind) {
    case 'store-paths':
      return storePathsTar(source.paths, walk);
    case 'root':
      return rootTar({
        packages: source.packages,
        envPath: source.envPath,
        ...walk,
        ...(forestLimits ? { limits: forestLimits } : {}),
      });
  }
}

/**
 * One streaming pass over any tar stream: tar → sha256 (diffId) → gzip → sink. The sink hashes
 * and counts the compressed bytes (storage.putBlob does); nothing is buffered whole.
 * Aborting `options.signal` destroys the pipeline, so the sink sees the abort too.
 */
export async function buildLayer(
  tar: Readable,
  sink: BlobSink,
  options: LayerOptions = {},
): Promise<BuiltLayer> {
  const signal = options.signal;
  if (signal?.aborted) {
    tar.destroy();
    throw signal.reason;
  }
  const onAbort = () => tar.destroy(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // A small worker-packed layer may arrive compressed whole (see writeLayer): it is stored as
    // it is, with none of the stream stages (most layers of a large closure are small).
    const whole = tar instanceof WorkerTarStream ? await tar.packedWhole() : null;
    if (whole !== null) {
      const stored = await sink(whole);
      return { digest: stored.digest, diffId: (tar as WorkerTarStream).summary().digest, size: stored.size };
    }
    return await streamLayer(tar, compressorFor(tar, options), sink);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The layer's gzip stage; a bad level throws here, and the tar is torn down with it. */
function compressorFor(tar: Readable, options: LayerOptions): Transform {
  const level = options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
  try {
    if (options.createCompressor) return options.createCompressor(level);
    // A worker's chunks go back to the packing workers once copied.
    if (tar instanceof WorkerTarStream) return new MemberGzip({ level, recycle: recycleChunk });
    return createMemberGzip(level);
  } catch (error) {
    tar.destroy();
    throw error;
  }
}

/** tar → sha256 → gzip → sink, as one pipeline torn down whole if any part fails. */
async function streamLayer(tar: Readable, compressor: Transform, sink: BlobSink): Promise<BuiltLayer> {
  // A worker-packed tar was hashed by its worker; any other tar is hashed here.
  const tarDigest = tar instanceof WorkerTarStream ? null : new DigestStream();
  const compressed = new PassThrough();
  const stages = [tar, ...(tarDigest ? [tarDigest] : []), compressor, new GzipHeaderPin(), compressed];
  let stored: Awaited<ReturnType<BlobSink>> | undefined;
  await settleTogether(
    pipeline(stages),
    sink(compressed).then((result) => {
      stored = result;
    }),
    (error) => {
      tar.destroy(error);
      compressed.destroy(error);
    },
  );
  if (!stored) throw new Error('layer sink finished without a result');
  const diffId = (tarDigest ?? (tar as WorkerTarStream)).summary().digest;
  return { digest: stored.digest, diffId, size: stored.size };
}

/** Builds the layer for `source` and hands its gzip stream to `sink` (see {@link buildLayer}). */
export function writeLayer(
  source: LayerSource,
  sink: BlobSink,
  options: LayerOptions = {},
): Promise<BuiltLayer> {
  if (source.kind === 'store-paths' && !options.createCompressor) {
    // The packing worker compresses a layer that fits in one member itself: same bytes, fewer
    // trips to the compression workers for the many small layers of a large closure.
    const level = options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
    // A bad level rejects, as buildLayer's compressor would (before any worker starts).
    if (!isCompressionLevel(level)) return buildLayer(layerTar(source, options), sink, options);
    return buildLayer(storePathsTar(source.paths, options, level), sink, options);
  }
  return buildLayer(layerTar(source, options), sink, options);
}
