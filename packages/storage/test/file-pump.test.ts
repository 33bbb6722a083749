import { describe, expect, test } from 'vitest';
import { pumpChunkBytes } from '../src/file-pump.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('pumpChunkBytes', () => {
  test('large blobs get 1 MiB chunks while the buffer budget has room, then smaller ones', () => {
    expect(pumpChunkBytes(100 * MiB, 0)).toBe(MiB);
    // Four sends at once still get 1 MiB each (8 MiB of buffers).
    expect(pumpChunkBytes(100 * MiB, 6 * MiB)).toBe(MiB);
    expect(pumpChunkBytes(100 * MiB, 7 * MiB)).toBe(512 * KiB);
    expect(pumpChunkBytes(100 * MiB, 8 * MiB)).toBe(64 * KiB);
    expect(pumpChunkBytes(100 * MiB, 200 * MiB)).toBe(64 * KiB);
  });

  test('small blobs get buffers no larger than they need', () => {
    expect(pumpChunkBytes(0, 0)).toBe(4 * KiB);
    expect(pumpChunkBytes(1000, 0)).toBe(4 * KiB);
    expect(pumpChunkBytes(4 * KiB, 0)).toBe(4 * KiB);
    expect(pumpChunkBytes(4 * KiB + 1, 0)).toBe(8 * KiB);
    expect(pumpChunkBytes(100_000, 0)).toBe(128 * KiB);
    expect(pumpChunkBytes(100_000, 200 * MiB)).toBe(64 * KiB);
  });
});
