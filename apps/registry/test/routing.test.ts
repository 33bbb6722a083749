import { describe, expect, test } from 'vitest';
import { isDigest, looksLikeDigest, parseRegistryPath } from '../src/routing.js';

describe('parseRegistryPath', () => {
  test.each([
    ['/v2/', { kind: 'base' }],
    ['/v2', { kind: 'base' }],
    ['/v2/_catalog', { kind: 'catalog' }],
    ['/v2/shell/git/manifests/latest', { kind: 'manifest', name: 'shell/git', reference: 'latest' }],
    ['/v2/hello/blobs/sha256:abc', { kind: 'blob', name: 'hello', digest: 'sha256:abc' }],
    ['/v2/hello/blobs/uploads/', { kind: 'blob-upload', name: 'hello' }],
    ['/v2/hello/blobs/uploads/1234', { kind: 'blob-upload', name: 'hello' }],
    ['/v2/a/b/tags/list', { kind: 'tags', name: 'a/b' }],
    [
      `/v2/a/b/referrers/sha256:${'a'.repeat(64)}`,
      { kind: 'referrers', name: 'a/b', digest: `sha256:${'a'.repeat(64)}` },
    ],
    ['/v2/a/referrers/', { kind: 'unknown' }],
    ['/v2/hello', { kind: 'unknown' }],
    ['/v2/hello/manifests/', { kind: 'unknown' }],
    ['/v2/%2e%2e/manifests/latest', { kind: 'manifest', name: '%2e%2e', reference: 'latest' }],
  ])('%s', (path, expected) => {
    expect(parseRegistryPath(path)).toEqual(expected);
  });

  test('a percent-encoded slash is never a separator', () => {
    expect(parseRegistryPath('/v2/shell%2fgit/manifests/latest')).toEqual({
      kind: 'manifest',
      name: 'shell%2fgit',
      reference: 'latest',
    });
  });
});

describe('digests', () => {
  test('only sha256 with 64 lowercase hex digits is a digest', () => {
    expect(isDigest(`sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isDigest(`sha256:${'a'.repeat(63)}`)).toBe(false);
    expect(isDigest(`sha512:${'a'.repeat(128)}`)).toBe(false);
  });
  test('digest-shaped references are told apart from tags', () => {
    expect(looksLikeDigest('sha256:zzz')).toBe(true);
    expect(looksLikeDigest('latest')).toBe(false);
    expect(looksLikeDigest('v1.2.3')).toBe(false);
  });
});
