import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged while computing their sha256 and counting them,
 * so a blob is hashed in the same pass that writes it.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private byteCount = 0;
  private finalDigest: string | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.byteCount += chunk.length;
    callback(null, chunk);
  }

  /** `sha256:<hex>` of everything that passed through; only valid once the stream has ended. */
  digest(): string {
    this.finalDigest ??= `sha256:${this.hash.digest('hex')}`;
    return this.finalDigest;
  }

  get size(): number {
    return this.byteCount;
  }
}
