import { describe, expect, test } from 'vitest';
import { InvalidCacheEntryError, InvalidCacheKeyError, ManifestCache } from '../src/index.js';
import { hexKey, tempStorage } from './support.js';

interface Record {
  name: string;
  arch: 'amd64' | 'arm64';
  manifests: { docker: { digest: string; size: number } };
  layers: { digest: string; size: number }[];
}

const record = (name: string): Record => ({
  name,
  arch: 'amd64',
  manifests: { docker: { digest: `sha256:${hexKey(`manifest ${name}`)}`, size: 1234 } },
  layers: [{ digest: `sha256:${hexKey(`layer ${name}`)}`, size: 99 }],
});

describe('ManifestCache', () => {
  test('memory hit in the same instance, storage hit in a fresh one', async () => {
    const { storage: store } = await tempStorage();
    const key = hexKey('pinned-commit\0amd64\0hello');
    const cache = new ManifestCache<Record>(store);
    expect(await cache.get(key)).toBeNull();
    await cache.put(key, record('hello'));
    expect(await cache.get(key)).toEqual(record('hello'));

    const restarted = new ManifestCache<Record>(store);
    expect(restarted.memoryEntries).toBe(0);
    expect(await restarted.get(key)).toEqual(record('hello'));
    expect(restarted.memoryEntries).toBe(1);
    expect((await store.getObject(`manifests/${key}.json`))?.contentType).toBe('application/json');
  });

  test('the memory tier is bounded; evicted records are still served from storage', async () => {
    const { storage: store } = await tempStorage();
    const cache = new ManifestCache<Record>(store, { maxMemoryEntries: 3 });
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const name of names) await cache.put(hexKey(name), record(name));
    expect(cache.memoryEntries).toBe(3);
    for (const name of names) expect(await cache.get(hexKey(name))).toEqual(record(name));
    expect(cache.memoryEntries).toBe(3);
  });

  test('a record is replaced by a later put and dropped by forget', async () => {
    const { storage: store } = await tempStorage();
    const cache = new ManifestCache<Record>(store);
    const key = hexKey('replace');
    await cache.put(key, record('old'));
    await cache.put(key, record('new'));
    expect(await new ManifestCache<Record>(store).get(key)).toEqual(record('new'));
    await cache.forget(key);
    expect(await cache.get(key)).toBeNull();
    expect(await new ManifestCache<Record>(store).get(key)).toBeNull();
  });

  test('keys must be sha256 hex; records must be JSON', async () => {
    const { storage: store } = await tempStorage();
    const cache = new ManifestCache<unknown>(store);
    for (const bad of ['hello', '', hexKey('x').slice(1), `${hexKey('x')}/`, hexKey('x').toUpperCase()]) {
      await expect(cache.get(bad)).rejects.toBeInstanceOf(InvalidCacheKeyError);
      await expect(cache.put(bad, {})).rejects.toBeInstanceOf(InvalidCacheKeyError);
    }
    await expect(cache.put(hexKey('fn'), () => 1)).rejects.toBeInstanceOf(InvalidCacheEntryError);
    await expect(cache.put(hexKey('undef'), undefined)).rejects.toBeInstanceOf(InvalidCacheEntryError);
    await expect(cache.put(hexKey('null'), null)).rejects.toBeInstanceOf(InvalidCacheEntryError);
  });

  test('hits are fresh copies', async () => {
    const { storage: store } = await tempStorage();
    const cache = new ManifestCache<Record>(store);
    const key = hexKey('copies');
    const original = record('copies');
    await cache.put(key, original);
    original.layers.push({ digest: 'changed after put', size: 0 });
    const hit = await cache.get(key);
    hit!.name = 'mutated';
    expect(await cache.get(key)).toEqual(record('copies'));
  });
});
