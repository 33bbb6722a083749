import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';

/** Where exported images read their blobs from (the builder's storage). */
export interface BlobReader {
  readBlob(digest: string): Promise<Readable>;
}

/** What an exporter needs of a built image: its manifest bytes and the blobs it names. */
export interface ExportableImage {
  /** The manifest in the exporter's format, exactly as the registry serves it. */
  manifest: { bytes: Buffer; digest: string; mediaType: string };
  config: { digest: string; size: number };
  layers: { digest: string; size: number }[];
}

/** Reads a small blob (an image config) whole; layers are only ever streamed. */
export async function readSmallBlob(reader: BlobReader, digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await reader.readBlob(digest)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function digestHex(digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return digest.slice('sha256:'.length);
}

/**
 * A pass-through that hashes and counts what flows through it; `check()` afterwards throws
 * unless the bytes were the blob that was asked for (a damaged cache must not be exported).
 */
export function verifyingStream(blob: { digest: string; size: number }): {
  stream: Transform;
  check(): void;
} {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  return {
    stream,
    check() {
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== blob.digest || size !== blob.size) {
        throw new Error(`blob ${blob.digest} read back as ${actual} (${size} bytes, expected ${blob.size})`);
      }
    },
  };
}
