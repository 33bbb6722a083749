import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { FilesystemStorage, GcsStorage, type Storage } from '@nixery/storage';

/** Lists object keys under a prefix (`layers/`), e.g. `layers/<key>.json`. */
export type ObjectLister = (prefix: string) => AsyncIterable<string>;

/**
 * The Storage contract can list blobs but not objects, so verify lists objects through the
 * backend itself: the folder tree of a FilesystemStorage, the bucket of a GcsStorage. Other
 * Storage implementations pass their own lister in VerifyOptions.
 */
export function objectListerFor(storage: Storage): ObjectLister {
  if (storage instanceof FilesystemStorage) return (prefix) => listFolder(storage.root, prefix);
  if (storage instanceof GcsStorage) return (prefix) => listBucket(storage, prefix);
  throw new TypeError(
    `cannot list objects of a ${storage.kind} storage that is not FilesystemStorage or GcsStorage; pass listObjects`,
  );
}

async function* listFolder(root: string, prefix: string): AsyncIterable<string> {
  const base = prefix.replace(/\/+$/, '');
  let directory: Awaited<ReturnType<typeof opendir>>;
  try {
    directory = await opendir(path.join(root, ...base.split('/')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw error;
  }
  for await (const entry of directory) {
    const key = `${base}/${entry.name}`;
    if (entry.isDirectory()) yield* listFolder(root, `${key}/`);
    else if (entry.isFile()) yield key;
  }
}

async function* listBucket(storage: GcsStorage, prefix: string): AsyncIterable<string> {
  for await (const file of storage.bucket.getFilesStream({ prefix })) {
    yield (file as { name: string }).name;
  }
}
