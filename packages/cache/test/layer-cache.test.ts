import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  BlobNotStoredError,
  InvalidCacheEntryError,
  InvalidCacheKeyError,
  LayerCache,
} from '../src/index.js';
import { hexKey, storeLayerBlob, tempStorage } from './support.js';

describe('LayerCache', () => {
  test('a miss is null; a put is a memory hit in the same instance', async () => {
    const { storage: store } = await tempStorage();
    const cache = new LayerCache(store);
    const key = hexKey('/nix/store/aaa-hello');
    expect(await cache.get(key)).toBeNull();

    const entry = await storeLayerBlob(store, 'layer one');
    await cache.put(key, entry);
    expect(await cache.get(key)).toEqual(entry);
    expect(cache.memoryEntries).toBe(1);
  });

  test('a blob noted as just stored is recorded without another stat; any other is checked', async () => {
    const { storage: store } = await tempStorage();
    let stats = 0;
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'statBlob') stats++;
        return Reflect.get(target, property, receiver);
      },
    });
    const cache = new LayerCache(counting);
    const entry = await storeLayerBlob(store, 'noted layer');
    cache.noteStored({ digest: entry.digest, size: entry.size });
    await cache.put(hexKey('/nix/store/noted'), entry);
    expect(stats).toBe(0);
    // The note is used once: a second record of the same blob checks storage again.
    await cache.put(hexKey('/nix/store/noted-again'), entry);
    expect(stats).toBe(1);
    // A note with another size does not vouch for a wrong entry.
    cache.noteStored({ digest: entry.digest, size: entry.size + 1 });
    await expect(cache.put(hexKey('/nix/store/wrong'), entry)).rejects.toThrow(BlobNotStoredError);
    // Nor does a note stand in for a blob never stored.
    const missing = { ...entry, digest: `sha256:${hexKey('never stored')}` };
    await expect(cache.put(hexKey('/nix/store/missing'), missing)).rejects.toThrow(BlobNotStoredError);
  });

  test('a fresh instance (another server process) finds the entry in storage', async () => {
    const { storage: store, root } = await tempStorage();
    const key = hexKey('/nix/store/bbb-curl');
    const entry = await storeLayerBlob(store, 'layer two');
    await new LayerCache(store).put(key, entry);

    const onDisk = JSON.parse(
      await readFile(path.join(root, 'layers', `${key}.json`), 'utf8').then(stripHeader),
    );
    expect(onDisk).toEqual(entry);

    const second = new LayerCache(store);
    expect(second.memoryEntries).toBe(0);
    expect(await second.get(key)).toEqual(entry);
    expect(second.memoryEntries).toBe(1);
  });

  test('only the four documented fields are stored, whatever else the caller passes', async () => {
    const { storage: store } = await tempStorage();
    const key = hexKey('extra fields');
    const entry = await storeLayerBlob(store, 'layer with extras');
    await new LayerCache(store).put(key, { ...entry, key, pathCount: 3 } as typeof entry);
    expect(await new LayerCache(store).get(key)).toEqual(entry);
  });

  test('put refuses an entry whose blob is not stored, or is stored with another size', async () => {
    const { storage: store } = await tempStorage();
    const cache = new LayerCache(store);
    const key = hexKey('not yet built');
    const entry = await storeLayerBlob(store, 'real blob');

    const missing = { ...entry, digest: `sha256:${hexKey('never uploaded')}` };
    await expect(cache.put(key, missing)).rejects.toBeInstanceOf(BlobNotStoredError);
    await expect(cache.put(key, { ...entry, size: entry.size + 1 })).rejects.toBeInstanceOf(
      BlobNotStoredError,
    );
    expect(await cache.get(key)).toBeNull();
    expect(await store.getObject(`layers/${key}.json`)).toBeNull();
  });

  test('malformed entries and keys are refused', async () => {
    const { storage: store } = await tempStorage();
    const cache = new LayerCache(store);
    const entry = await storeLayerBlob(store, 'valid');
    const key = hexKey('k');
    for (const bad of [
      { ...entry, digest: 'sha256:XYZ' },
      { ...entry, diffId: 'nope' },
      { ...entry, size: -1 },
      { ...entry, size: 1.5 },
      { ...entry, mediaType: '' },
    ]) {
      await expect(cache.put(key, bad)).rejects.toBeInstanceOf(InvalidCacheEntryError);
    }
    for (const badKey of [
      '',
      'abc',
      hexKey('x').toUpperCase(),
      `../${hexKey('x').slice(3)}`,
      `${hexKey('x')}.json`,
    ]) {
      await expect(cache.get(badKey)).rejects.toBeInstanceOf(InvalidCacheKeyError);
      await expect(cache.put(badKey, entry)).rejects.toBeInstanceOf(InvalidCacheKeyError);
    }
  });

  test('a storage entry whose blob has been deleted is a miss, and the entry is removed', async () => {
    const { storage: store } = await tempStorage();
    const key = hexKey('/nix/store/ccc-stale');
    const entry = await storeLayerBlob(store, 'soon gone');
    await new LayerCache(store).put(key, entry);
    await store.deleteBlob(entry.digest);

    const restarted = new LayerCache(store);
    expect(await restarted.get(key)).toBeNull();
    expect(await store.getObject(`layers/${key}.json`)).toBeNull();
    expect(restarted.memoryEntries).toBe(0);

    // Rebuilding the layer makes it cacheable again.
    const rebuilt = await storeLayerBlob(store, 'soon gone');
    await restarted.put(key, rebuilt);
    expect(await new LayerCache(store).get(key)).toEqual(rebuilt);
  });

  test('an unreadable storage entry is a miss', async () => {
    const { storage: store } = await tempStorage();
    const key = hexKey('corrupt');
    await store.putObject(`layers/${key}.json`, Buffer.from('{"digest":'), 'application/json');
    expect(await new LayerCache(store).get(key)).toBeNull();
  });

  test('the memory tier is bounded (least recently used goes first) and storage still answers', async () => {
    const { storage: store } = await tempStorage();
    const cache = new LayerCache(store, { maxMemoryEntries: 2 });
    const keys = ['one', 'two', 'three'].map((name) => hexKey(name));
    const entries = [];
    for (const [i, key] of keys.entries()) {
      const entry = await storeLayerBlob(store, `blob ${i}`);
      entries.push(entry);
      await cache.put(key, entry);
      if (i === 1) await cache.get(keys[0]!); // touch "one", so "two" is the least recently used
    }
    expect(cache.memoryEntries).toBe(2);

    // "two" left memory: deleting its blob is noticed, because the answer now comes from storage.
    await store.deleteBlob(entries[1]!.digest);
    expect(await cache.get(keys[1]!)).toBeNull();
    // "one" and "three" are memory hits, which are trusted without a storage round trip.
    await store.deleteBlob(entries[0]!.digest);
    expect(await cache.get(keys[0]!)).toEqual(entries[0]);
    expect(await cache.get(keys[2]!)).toEqual(entries[2]);
  });

  test('forget drops an entry from both tiers', async () => {
    const { storage: store } = await tempStorage();
    const cache = new LayerCache(store);
    const key = hexKey('forget me');
    await cache.put(key, await storeLayerBlob(store, 'forget me'));
    await cache.forget(key);
    expect(await cache.get(key)).toBeNull();
    expect(await store.getObject(`layers/${key}.json`)).toBeNull();
  });

  test('hits are copies: mutating one does not change the cache', async () => {
    const { storage: store } = await tempStorage();
    const cache = new LayerCache(store);
    const key = hexKey('copy');
    const entry = await storeLayerBlob(store, 'copy');
    await cache.put(key, entry);
    const hit = await cache.get(key);
    hit!.size = 0;
    expect(await cache.get(key)).toEqual(entry);
  });
});

function stripHeader(file: string): string {
  return file.slice(file.indexOf('\n') + 1);
}
