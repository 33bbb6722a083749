import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemStorage, type Storage } from '@nixery/storage';

export const LAYER_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** A real filesystem storage in a fresh temp directory. */
export async function tempStorage(): Promise<{
  storage: Storage;
  root: string;
  cleanup: () => Promise<void>;
}> {
  const root = await mkdtemp(path.join(tmpdir(), 'cache-test-'));
  return {
    storage: new FilesystemStorage(root),
    root,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** sha256 hex of some text: the shape of layer keys and manifest cache keys. */
export function hexKey(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Stores `text` as a blob and returns a layer entry describing it. */
export async function storeLayerBlob(storage: Storage, text: string) {
  const { digest, size } = await storage.putBlob(Readable.from([Buffer.from(text)]));
  return { digest, size, diffId: `sha256:${hexKey(`tar of ${text}`)}`, mediaType: LAYER_MEDIA_TYPE };
}
