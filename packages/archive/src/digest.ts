import { createHash, type Hash } from 'node:crypto';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface BlobSummary {
  /** `sha256:<hex>` */
  digest: string;
  /** bytes */
  size: number;
}

/** A pass-through stream that hashes (sha256) and counts what flows through it. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private result: BlobSummary | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = { digest: `sha256:${this.hash.digest('hex')}`, size: this.bytes };
    callback();
  }

  /** The digest and size; only available once the stream has ended. */
  summary(): BlobSummary {
    if (!this.result) throw new Error('DigestStream.summary() called before the stream ended');
    return this.result;
  }
}

/** Receives a layer's compressed bytes and reports their digest and size (storage.putBlob fits). */
export type BlobSink = (compressed: Readable) => Promise<BlobSummary>;

/**
 * Turns a plain writer (one that stores bytes but does not hash them, e.g. a file in an OCI
 * layout) into a {@link BlobSink} that computes the sha256 and size on the way through.
 */
export function hashingSink(write: (data: Readable) => Promise<void>): BlobSink {
  return async (compressed) => {
    const digest = new DigestStream();
    const forwarded = new PassThrough();
    await settleTogether(pipeline(compressed, digest, forwarded), write(forwarded), (error) => {
      forwarded.destroy(error);
      compressed.destroy(error);
    });
    return digest.summary();
  };
}

/** sha256 and size of a whole stream, consumed without keeping it. */
export async function digestOfStream(data: Readable): Promise<BlobSummary> {
  const digest = new DigestStream();
  await pipeline(data, digest, async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source) {
      // drain
    }
  });
  return digest.summary();
}

/**
 * Waits for a producer and a consumer of the same stream. If either fails, `abort` tears the
 * streams down so the other side cannot hang, and the first error is rethrown.
 */
export async function settleTogether(
  producing: Promise<unknown>,
  consuming: Promise<unknown>,
  abort: (error: Error) => void,
): Promise<void> {
  try {
    await Promise.all([producing, consuming]);
  } catch (error) {
    abort(error instanceof Error ? error : new Error(String(error)));
    await Promise.allSettled([producing, consuming]);
    throw error;
  }
}
