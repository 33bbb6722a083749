import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { FilesystemStorage, type PutBlobOptions, type Storage } from '@nixery/storage';
import { type BuilderEvent, ImageBuilder, type ImageBuilderOptions } from '../src/index.js';

/** Real filesystem storage that counts blob writes, so tests can assert "nothing was rewritten". */
export class CountingStorage extends FilesystemStorage {
  blobWrites = 0;
  override putBlob(data: Readable | Buffer, options?: PutBlobOptions) {
    this.blobWrites++;
    return super.putBlob(data, options);
  }
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A builder over the bundled package set, recording its events. */
export function bundledBuilder(storage: Storage, options: Partial<ImageBuilderOptions> = {}) {
  const events: BuilderEvent[] = [];
  const builder = new ImageBuilder({
    storage,
    source: { kind: 'path', path: BUNDLED_PACKAGE_SET_PATH },
    nixSubstituters: '',
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { builder, events };
}
