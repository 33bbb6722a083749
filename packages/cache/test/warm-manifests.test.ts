import { describe, expect, test } from 'vitest';
import { WarmManifests } from '../src/index.js';

interface Served {
  bytes: Buffer;
}
const manifest = (size: number, fill = 'x'): Served => ({ bytes: Buffer.alloc(size, fill) });
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function warm(maxBytes: number, clock = { t: 1_000 }) {
  return {
    clock,
    cache: new WarmManifests<Served>({ maxBytes, sizeOf: (m) => m.bytes.length, now: () => clock.t }),
  };
}

describe('WarmManifests', () => {
  test('by digest: what was remembered, and nothing else', () => {
    const { cache } = warm(1 << 20);
    const m = manifest(100);
    cache.rememberDigest(digestOf(1), m);
    expect(cache.byDigestGet(digestOf(1))).toBe(m);
    expect(cache.byDigestGet(digestOf(2))).toBeUndefined();
    cache.forgetDigest(digestOf(1));
    expect(cache.byDigestGet(digestOf(1))).toBeUndefined();
  });

  test('by tag: per name, tag and format, through the digest entry', () => {
    const { cache } = warm(1 << 20);
    const docker = manifest(10, 'd');
    const oci = manifest(10, 'o');
    cache.rememberDigest(digestOf(1), docker);
    cache.rememberDigest(digestOf(2), oci);
    cache.rememberTag('hello', 'latest', 'docker', digestOf(1), Number.POSITIVE_INFINITY);
    cache.rememberTag('hello', 'latest', 'oci', digestOf(2), Number.POSITIVE_INFINITY);
    expect(cache.byTagGet('hello', 'latest', 'docker')).toBe(docker);
    expect(cache.byTagGet('hello', 'latest', 'oci')).toBe(oci);
    expect(cache.byTagGet('hello', 'other', 'docker')).toBeUndefined();
    expect(cache.byTagGet('hello/bash', 'latest', 'docker')).toBeUndefined();
    // The tag entry alone is not enough: its manifest must still be held.
    cache.forgetDigest(digestOf(1));
    expect(cache.byTagGet('hello', 'latest', 'docker')).toBeUndefined();
  });

  test('an unpinned reuse window expires; a pinned one does not', () => {
    const { cache, clock } = warm(1 << 20);
    cache.rememberDigest(digestOf(1), manifest(10));
    cache.rememberTag('unpinned', 'latest', 'docker', digestOf(1), clock.t + 60_000);
    cache.rememberTag('pinned', 'latest', 'docker', digestOf(1), Number.POSITIVE_INFINITY);
    clock.t += 59_999;
    expect(cache.byTagGet('unpinned', 'latest', 'docker')).toBeDefined();
    clock.t += 1;
    expect(cache.byTagGet('unpinned', 'latest', 'docker')).toBeUndefined();
    expect(cache.stats.tags).toBe(1); // the expired entry is dropped, not kept
    clock.t += 365 * 24 * 3600_000;
    expect(cache.byTagGet('pinned', 'latest', 'docker')).toBeDefined();
    // By digest never expires: the bytes under a digest cannot change.
    expect(cache.byDigestGet(digestOf(1))).toBeDefined();
  });

  test('a window already over (TTL 0) or not a number keeps nothing', () => {
    const { cache, clock } = warm(1 << 20);
    cache.rememberDigest(digestOf(1), manifest(10));
    cache.rememberTag('a', 'latest', 'docker', digestOf(1), clock.t);
    cache.rememberTag('b', 'latest', 'docker', digestOf(1), Number.NaN);
    expect(cache.byTagGet('a', 'latest', 'docker')).toBeUndefined();
    expect(cache.byTagGet('b', 'latest', 'docker')).toBeUndefined();
    expect(cache.stats.tags).toBe(0);
  });

  test('bounded by bytes: least recently used manifests go first', () => {
    const { cache } = warm(10_000);
    for (let i = 0; i < 100; i++) {
      cache.rememberDigest(digestOf(i), manifest(1_000));
      if (i === 50) expect(cache.byDigestGet(digestOf(0))).toBeUndefined();
      cache.byDigestGet(digestOf(1)); // kept in use
    }
    expect(cache.stats.bytes).toBeLessThanOrEqual(10_000 + 1_000);
    expect(cache.stats.digests).toBeLessThan(10);
    expect(cache.byDigestGet(digestOf(99))).toBeDefined();
    expect(cache.byDigestGet(digestOf(1))).toBeDefined();
    expect(cache.byDigestGet(digestOf(2))).toBeUndefined();
    // One manifest over the whole budget is not kept at all.
    cache.rememberDigest(digestOf(1000), manifest(20_000));
    expect(cache.byDigestGet(digestOf(1000))).toBeUndefined();
  });

  test('tag entries are bounded too', () => {
    const { cache } = warm(100_000);
    cache.rememberDigest(digestOf(1), manifest(10));
    for (let i = 0; i < 10_000; i++) {
      cache.rememberTag(`name${i}`, 'latest', 'docker', digestOf(1), Number.POSITIVE_INFINITY);
    }
    expect(cache.stats.tags).toBeLessThan(100);
    expect(cache.byTagGet('name9999', 'latest', 'docker')).toBeDefined();
    expect(cache.byTagGet('name0', 'latest', 'docker')).toBeUndefined();
  });
});
