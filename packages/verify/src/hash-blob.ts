import { type BlobSummary, digestOfStream } from '@nixery/digest';
import type { Storage } from '@nixery/storage';

/** Streams a blob out of storage and hashes it; the blob is never held in memory whole. */
export async function hashStoredBlob(storage: Storage, digest: string): Promise<BlobSummary> {
  return digestOfStream(await storage.readBlob(digest));
}
