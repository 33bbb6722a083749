import { describe, expect, test } from 'vitest';
import { DigestFormatError, digestHex, formatDigest, isDigest } from '../src/index.js';

const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('digest format', () => {
  test('accepts sha256 with 64 lowercase hex digits and splits off the hex', () => {
    expect(isDigest(`sha256:${hex}`)).toBe(true);
    expect(digestHex(`sha256:${hex}`)).toBe(hex);
    expect(formatDigest(hex)).toBe(`sha256:${hex}`);
  });

  test.each([
    `sha256:${hex.toUpperCase()}`,
    `sha256:${hex.slice(1)}`,
    `sha256:${hex}0`,
    `sha256:${hex}\n`,
    `SHA256:${hex}`,
    `sha512:${hex}`,
    `sha256:../${hex.slice(3)}`,
    hex,
    '',
  ])('rejects %j', (value) => {
    expect(isDigest(value)).toBe(false);
    expect(() => digestHex(value)).toThrow(DigestFormatError);
  });

  test('isDigest is a type guard that refuses non-strings', () => {
    for (const value of [null, undefined, 42, { digest: hex }, [hex]]) expect(isDigest(value)).toBe(false);
  });

  test('formatDigest refuses anything but 64 lowercase hex digits', () => {
    expect(() => formatDigest(hex.slice(2))).toThrow(DigestFormatError);
    expect(() => formatDigest(`sha256:${hex}`)).toThrow(DigestFormatError);
    expect(() => formatDigest(hex.toUpperCase())).toThrow(/expected sha256:<64 lowercase hex digits>/);
  });
});
