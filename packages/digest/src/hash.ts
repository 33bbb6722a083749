import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatDigest } from './format.js';

export interface BlobSummary {
  /** `sha256:<hex>` */
  digest: string;
  /** bytes */
  size: number;
}

/** The only place a sha256 hasher is created, so the algorithm has one home. */
function newHash(): Hash {
  return createHash('sha256');
}

/** sha256 hex of bytes (a string is hashed as UTF-8). */
export function sha256Hex(data: Uint8Array | string): string {
  return newHash().update(data).digest('hex');
}

/** `sha256:<hex>` of bytes held in memory (manifests, configs, small objects). */
export function sha256Digest(data: Uint8Array | string): string {
  return formatDigest(sha256Hex(data));
}

/**
 * sha256 and byte count fed chunk by chunk, for code that hashes without a stream (e.g. a worker
 * thread packing a tar with synchronous reads). `summary()` ends it: call it once.
 */
export class DigestAccumulator {
  private readonly hash = newHash();
  private bytes = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  summary(): BlobSummary {
    return { digest: formatDigest(this.hash.digest('hex')), size: this.bytes };
  }
}

/** A pass-through stream that hashes (sha256) and counts what flows through it. */
export class DigestStream extends Transform {
  private readonly accumulator = new DigestAccumulator();
  private result: BlobSummary | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accumulator.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = this.accumulator.summary();
    callback();
  }

  /** The digest and size; only available once the stream has ended. */
  summary(): BlobSummary {
    if (!this.result) throw new Error('DigestStream.summary() called before the stream ended');
    return this.result;
  }
}

/** sha256 and size of a whole stream, consumed chunk by chunk without keeping it. */
export async function digestOfStream(data: Readable): Promise<BlobSummary> {
  const digest = new DigestStream();
  await pipeline(data, digest, async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source) {
      // drain: only the digest is wanted
    }
  });
  return digest.summary();
}

/** sha256 and size of a file, streamed. */
export function digestOfFile(path: string): Promise<BlobSummary> {
  return digestOfStream(createReadStream(path));
}

/** Thrown by assertSummary when bytes did not hash to the blob that was asked for. */
export class BlobMismatchError extends Error {
  constructor(
    readonly expected: BlobSummary,
    readonly actual: BlobSummary,
  ) {
    super(
      `blob ${expected.digest} read back as ${actual.digest} (${actual.size} bytes, expected ${expected.size})`,
    );
    this.name = 'BlobMismatchError';
  }
}

/** Throws BlobMismatchError unless `actual` has the digest and size of `expected`. */
export function assertSummary(actual: BlobSummary, expected: BlobSummary): void {
  if (actual.digest !== expected.digest || actual.size !== expected.size) {
    throw new BlobMismatchError(expected, actual);
  }
}
