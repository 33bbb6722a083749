import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BlobSummary, DigestStream, sha256Digest } from '@nixery/digest';

/**
 * Receives a layer's compressed bytes and reports their digest and size (storage.putBlob fits):
 * a stream, or a Buffer when the whole layer was compressed in one piece (a small layer).
 */
export type BlobSink = (compressed: Readable | Buffer) => Promise<BlobSummary>;

/**
 * Turns a plain writer (one that stores bytes but does not hash them, e.g. a file in an OCI
 * layout) into a {@link BlobSink} that computes the sha256 and size on the way through.
 */
export function hashingSink(write: (data: Readable) => Promise<void>): BlobSink {
  return async (compressed) => {
    if (Buffer.isBuffer(compressed)) {
      await write(Readable.from([compressed]));
      return { digest: sha256Digest(compressed), size: compressed.length };
    }
    const digest = new DigestStream();
    const forwarded = new PassThrough();
    await settleTogether(pipeline(compressed, digest, forwarded), write(forwarded), (error) => {
      forwarded.destroy(error);
      compressed.destroy(error);
    });
    return digest.summary();
  };
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
