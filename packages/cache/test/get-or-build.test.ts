// The builder's caching pattern, as @nixery/cache offers it: tiers → single flight → put.
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import {
  type CacheTier,
  GetOrBuild,
  LayerCache,
  type LayerCacheEntry,
  saltedKey,
  TtlTier,
} from '../src/index.js';
import { hexKey, LAYER_MEDIA_TYPE, tempStorage } from './support.js';

const keep = <V>(value: V): V => value;

test('concurrent requests for one layer write one blob and one cache entry', async () => {
  const { storage } = await tempStorage();
  const layers = new GetOrBuild<LayerCacheEntry>([new LayerCache(storage)]);
  const key = hexKey('/nix/store/aaa-glibc\n/nix/store/bbb-bash');
  let blobWrites = 0;
  const buildLayer = async (): Promise<LayerCacheEntry> => {
    blobWrites++;
    await new Promise((resolve) => setTimeout(resolve, 20)); // a build takes a while
    const { digest, size } = await storage.putBlob(Readable.from([Buffer.from('gzip bytes of the layer')]));
    return { digest, size, diffId: `sha256:${hexKey('tar bytes')}`, mediaType: LAYER_MEDIA_TYPE };
  };
  const getLayer = () => layers.get(key, buildLayer, { store: keep });

  const outcomes = await Promise.all(Array.from({ length: 10 }, getLayer));
  const results = outcomes.map((o) => o.value);
  expect(blobWrites).toBe(1);
  expect(new Set(results.map((r) => r.digest)).size).toBe(1);
  expect(outcomes.map((o) => o.from).sort()).toEqual(['build', ...Array(9).fill('shared-build')]);

  // Later requests, in this process or a new one, are cache hits.
  expect(await getLayer()).toEqual({ from: 'cache', value: results[0] });
  expect(await new LayerCache(storage).get(key)).toEqual(results[0]);
  expect(blobWrites).toBe(1);
  const blobs: string[] = [];
  for await (const digest of storage.listBlobs()) blobs.push(digest);
  expect(blobs).toEqual([results[0]!.digest]);
});

/** A tier in memory that counts its calls. */
function countingTier<V>(): CacheTier<V> & { values: Map<string, V>; gets: number; puts: number } {
  const values = new Map<string, V>();
  return {
    values,
    gets: 0,
    puts: 0,
    async get(key) {
      this.gets++;
      return values.get(key) ?? null;
    },
    async put(key, value) {
      this.puts++;
      values.set(key, value);
    },
  };
}

describe('GetOrBuild', () => {
  test('asks the tiers in order and copies a later hit into the earlier ones', async () => {
    const [near, far] = [countingTier<string>(), countingTier<string>()];
    far.values.set('k', 'from far');
    const cached = new GetOrBuild([near, far]);
    const hits: boolean[] = [];
    const build = async () => 'built';
    const first = await cached.get('k', build, { store: keep, onLookup: (hit) => hits.push(hit) });
    expect(first).toEqual({ from: 'cache', value: 'from far' });
    expect(near.values.get('k')).toBe('from far');
    const second = await cached.get('k', build, { store: keep, onLookup: (hit) => hits.push(hit) });
    expect(second).toEqual({ from: 'cache', value: 'from far' });
    expect(far.gets).toBe(1); // the near tier answered the second time
    expect(hits).toEqual([true, true]);
  });

  test('a miss builds once, keeps what `store` makes of it in every tier, and hands out the build', async () => {
    const [near, far] = [countingTier<{ n: number }>(), countingTier<{ n: number }>()];
    const cached = new GetOrBuild([near, far]);
    const order: string[] = [];
    const outcome = await cached.get(
      'k',
      async () => {
        order.push('build');
        return { n: 1, timings: 5 };
      },
      { store: ({ n }) => ({ n }), onLookup: (hit) => order.push(`lookup ${hit}`) },
    );
    expect(order).toEqual(['lookup false', 'build']);
    expect(outcome).toEqual({ from: 'build', value: { n: 1, timings: 5 } });
    expect(near.values.get('k')).toEqual({ n: 1 });
    expect(far.values.get('k')).toEqual({ n: 1 });
  });

  test('failures are shared by concurrent callers and never cached', async () => {
    const tier = countingTier<string>();
    const cached = new GetOrBuild([tier]);
    let builds = 0;
    const failing = async () => {
      builds++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('nix failed');
    };
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => cached.get('k', failing, { store: keep })));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(builds).toBe(1);
    expect(tier.puts).toBe(0);
    expect(await cached.get('k', async () => 'ok', { store: keep })).toEqual({ from: 'build', value: 'ok' });
  });

  test("the build's signal aborts once every waiting caller has gone", async () => {
    const cached = new GetOrBuild<string>([countingTier()]);
    const gone = new AbortController();
    let buildSignal: AbortSignal | undefined;
    const pending = cached.get(
      'k',
      (signal) => {
        buildSignal = signal;
        return new Promise<string>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
      { store: keep, signal: gone.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    gone.abort(new Error('client left'));
    await expect(pending).rejects.toThrow('client left');
    expect(buildSignal?.aborted).toBe(true);
  });
});

describe('TtlTier', () => {
  test('hands a value out until its time is up, then forgets it', async () => {
    let now = 1_000;
    const tier = new TtlTier<string>({ ttlMs: 100, now: () => now });
    await tier.put('k', 'v');
    now += 99;
    expect(await tier.get('k')).toBe('v');
    now += 1;
    expect(await tier.get('k')).toBeNull();
    expect(tier.size).toBe(0);
  });

  test('keeps nothing with a TTL of 0, and at most maxEntries, the oldest going first', async () => {
    const off = new TtlTier<string>({ ttlMs: 0 });
    await off.put('k', 'v');
    expect(await off.get('k')).toBeNull();

    const small = new TtlTier<string>({ ttlMs: 60_000, maxEntries: 2 });
    await small.put('a', '1');
    await small.put('b', '2');
    await small.put('a', '1 again'); // a put refreshes the entry's age
    await small.put('c', '3');
    expect(await small.get('b')).toBeNull();
    expect(await small.get('a')).toBe('1 again');
    expect(await small.get('c')).toBe('3');
    expect(small.size).toBe(2);
  });

  test('behind GetOrBuild: an unpinned image is rebuilt once its time is up', async () => {
    let now = 0;
    const images = new GetOrBuild([new TtlTier<number>({ ttlMs: 1_000, now: () => now })]);
    let builds = 0;
    const build = async () => ++builds;
    expect((await images.get('img', build, { store: keep })).value).toBe(1);
    now = 999;
    expect(await images.get('img', build, { store: keep })).toEqual({ from: 'cache', value: 1 });
    now = 1_000;
    expect(await images.get('img', build, { store: keep })).toEqual({ from: 'build', value: 2 });
  });
});

test('saltedKey: an empty salt keeps the key; any other salt gives another sha256 key', () => {
  const key = hexKey('paths');
  expect(saltedKey(key, '')).toBe(key);
  expect(saltedKey(key, 'gzip9')).toBe(hexKey(`${key}\0gzip9`));
  expect(saltedKey(key, 'gzip9')).not.toBe(saltedKey(key, 'gzip1'));
  expect(saltedKey(key, 'gzip9')).toMatch(/^[a-f0-9]{64}$/);
});
