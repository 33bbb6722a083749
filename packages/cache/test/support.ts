import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemStorage, type Storage } from '@nixery/storage';
import { onTestFinished } from 'vitest';

export const LAYER_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** A real filesystem storage in a fresh temp directory, removed when the calling test ends. */
export async function tempStorage(): Promise<{ storage: Storage; root: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'cache-test-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  return { storage: new FilesystemStorage(root), root };
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
