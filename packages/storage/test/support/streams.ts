import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Deterministic pseudo-random bytes, so failures reproduce. */
export function patternBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Yields `bytes` in chunks of `chunkSize`, so uploads really arrive as a stream. */
export function chunked(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        yield bytes.subarray(offset, offset + chunkSize);
      }
    })(),
  );
}

/** Yields `goodBytes` and then fails, like a layer build that dies half way. */
export function failingAfter(goodBytes: Buffer, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield goodBytes;
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw error;
    })(),
  );
}

/**
 * A destination that copies what it is given (a sender may reuse a chunk's memory once the write
 * has called back, as it may with a socket) and, with `delayTicks`, calls back only after that
 * many turns of the event loop. Emits 'chunk' after each write.
 */
export class CollectingWritable extends Writable {
  private readonly chunks: Buffer[] = [];

  constructor(private readonly delayTicks = 0) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    this.emit('chunk');
    let ticks = this.delayTicks;
    const later = () => (ticks-- > 0 ? setImmediate(later) : callback());
    later();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
