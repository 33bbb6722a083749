import type { Readable } from 'node:stream';

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
