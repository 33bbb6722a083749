import { isDigest } from '@nixery/digest';
import { describe, expect, test } from 'vitest';
import { assertObjectKey, blobName, digestHex, InvalidDigestError, InvalidKeyError } from '../src/index.js';

const hex = '0123456789abcdef'.repeat(4);

describe('digests', () => {
  test('sha256 digests with 64 lowercase hex digits map to blob names', () => {
    expect(isDigest(`sha256:${hex}`)).toBe(true);
    expect(digestHex(`sha256:${hex}`)).toBe(hex);
    expect(blobName(`sha256:${hex}`)).toBe(`blobs/sha256/${hex}`);
  });

  test.each([
    `sha256:${hex.toUpperCase()}`,
    `sha256:${hex.slice(1)}`,
    `sha256:${hex}\n`,
    `SHA256:${hex}`,
    `sha256:${hex.slice(2)}/.`,
    `sha384:${hex}`,
  ])('%j is refused', (digest) => {
    expect(isDigest(digest)).toBe(false);
    expect(() => blobName(digest)).toThrow(InvalidDigestError);
  });
});

describe('object keys', () => {
  test.each(['layers/abc.json', 'manifests/0f.json', 'a', 'x/y/z_1-2.json', '.hidden', 'v1.2/..x'])(
    '%j is accepted',
    (key) => {
      expect(() => assertObjectKey(key)).not.toThrow();
    },
  );

  test.each([
    '',
    '.',
    '..',
    '...',
    'a/../b',
    'a/./b',
    '/a',
    'a/',
    'a//b',
    'a\\b',
    'a\0b',
    'A',
    'a b',
    'a:b',
    'é',
    'blobs/sha256/x',
    'staging/x',
  ])('%j is refused', (key) => {
    expect(() => assertObjectKey(key)).toThrow(InvalidKeyError);
  });
});
