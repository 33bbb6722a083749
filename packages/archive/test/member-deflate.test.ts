import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { byteEntropy, compressMember, STORED_BLOCK_BYTES } from '../src/member-deflate.js';

function randomBytes(bytes: number, seed = 1): Buffer {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16, 0));
  return cipher.update(Buffer.alloc(bytes));
}

function text(bytes: number): Buffer {
  const line = 'static int counter = 0; /* the quick brown fox jumps over the lazy dog */\n';
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length))).subarray(0, bytes);
}

function pinned(data: Buffer, level: number): Buffer {
  const member = gzipSync(data, { level });
  member[9] = 3;
  return member;
}

describe('compressMember', () => {
  test('compressible data is exactly zlib’s gzip member, header pinned', () => {
    const data = text(300_000);
    for (const level of [1, 6, 9]) expect(compressMember(data, level).equals(pinned(data, level))).toBe(true);
    expect(compressMember(Buffer.alloc(0), 6).equals(pinned(Buffer.alloc(0), 6))).toBe(true);
  });

  test('random data is stored: no larger than zlib’s own output, and far cheaper', () => {
    const data = randomBytes(1024 * 1024);
    const member = compressMember(data, 6);
    expect(gunzipSync(member).equals(data)).toBe(true);
    // zlib falls back to stored blocks on such data too; ours adds no more than a few bytes a block.
    expect(member.length).toBeLessThanOrEqual(gzipSync(data, { level: 6 }).length + 64);
    expect(member.length).toBeLessThan(data.length + 200);
  });

  test('a member mixing runs of both kinds decompresses whole, also with GNU gzip', () => {
    const block = STORED_BLOCK_BYTES;
    const data = Buffer.concat([
      text(2 * block + 100),
      randomBytes(3 * block + 7, 2),
      text(block),
      randomBytes(200_000, 3),
      text(5000),
    ]);
    const member = compressMember(data, 6);
    expect(gunzipSync(member).equals(data)).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: member }).equals(data)).toBe(true);
    // `gzip -t` checks the CRC and length in the trailer.
    execFileSync('gzip', ['-t'], { input: member });
    // The text runs were deflated, the random ones stored.
    expect(member.length).toBeLessThan(3 * block + 7 + 200_000 + block);
    expect(member.length).toBeGreaterThan(3 * block + 200_000);
  });

  test('deterministic: the same bytes give the same member', () => {
    const data = Buffer.concat([randomBytes(100_000), text(100_000)]);
    expect(compressMember(data, 6).equals(compressMember(Buffer.from(data), 6))).toBe(true);
  });

  test('level 0 is zlib’s stored member', () => {
    const data = Buffer.concat([randomBytes(70_000), text(70_000)]);
    expect(compressMember(data, 0).equals(pinned(data, 0))).toBe(true);
  });

  test('byte entropy: random near 8 bits, text far below', () => {
    expect(byteEntropy(randomBytes(65536))).toBeGreaterThan(7.95);
    expect(byteEntropy(text(65536))).toBeLessThan(5);
    expect(byteEntropy(Buffer.alloc(65536))).toBe(0);
  });

  test('a rejected level throws', () => {
    expect(() => compressMember(Buffer.alloc(1), 10)).toThrow(RangeError);
  });
});
