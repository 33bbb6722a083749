import { isDigest } from '@nixery/digest';
import { describe, expect, test } from 'vitest';
import {
  assertObjectKey,
  blobName,
  classifyObjectKey,
  digestHex,
  InvalidDigestError,
  InvalidEntryError,
  InvalidKeyError,
  parseReferrerRecords,
  referrersObjectKey,
} from '../src/index.js';

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

describe('referrers', () => {
  const hex = 'a'.repeat(64);
  const descriptor = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${'b'.repeat(64)}`,
    size: 10,
    artifactType: 'application/spdx+json',
  };

  test('a subject digest names referrers/sha256/<hex>, which classifies as its referrers', () => {
    expect(referrersObjectKey(`sha256:${hex}`)).toBe(`referrers/sha256/${hex}`);
    expect(() => referrersObjectKey('sha256:nothex')).toThrow(InvalidDigestError);
    expect(classifyObjectKey(`referrers/sha256/${hex}`)).toEqual({
      kind: 'referrers',
      subject: `sha256:${hex}`,
    });
    expect(classifyObjectKey('referrers/sha256/short')).toEqual({ kind: 'other' });
  });

  test('a referrers list keeps exactly the descriptor fields; anything else is refused', () => {
    const annotated = { ...descriptor, annotations: { a: 'b' } };
    expect(parseReferrerRecords([{ ...annotated, extra: 1 }])).toEqual([annotated]);
    expect(parseReferrerRecords([])).toEqual([]);
    expect(() => parseReferrerRecords({})).toThrow(InvalidEntryError);
    expect(() => parseReferrerRecords([{ ...descriptor, digest: 'sha256:x' }])).toThrow(/digest/);
    expect(() => parseReferrerRecords([{ ...descriptor, size: -1 }])).toThrow(/size/);
    expect(() => parseReferrerRecords([{ ...descriptor, artifactType: '' }])).toThrow(/artifactType/);
    expect(() => parseReferrerRecords([{ ...descriptor, annotations: { a: 1 } }])).toThrow(/annotations/);
  });
});
