import { createHash } from 'node:crypto';
import type { Storage } from '@nixery/storage';

/** Streams a blob out of storage and hashes it; the blob is never held in memory whole. */
export async function hashStoredBlob(
  storage: Storage,
  digest: string,
): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = await storage.readBlob(digest);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
