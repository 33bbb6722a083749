import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  assertSummary,
  BlobMismatchError,
  DigestStream,
  digestOfFile,
  digestOfStream,
  sha256Digest,
  sha256Hex,
} from '../src/index.js';

// The oracle is node:crypto used directly, not the module under test.
const expected = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('hashing', () => {
  test('sha256 of the empty input is the well-known constant', () => {
    expect(sha256Hex(Buffer.alloc(0))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  test('buffers and strings (as UTF-8) hash to the same digest', () => {
    expect(sha256Digest('grüße')).toBe(expected(Buffer.from('grüße', 'utf8')));
    expect(sha256Digest(Buffer.from('grüße'))).toBe(sha256Digest('grüße'));
  });

  test('DigestStream passes bytes through unchanged while hashing and counting them', async () => {
    const chunks = [randomBytes(1), randomBytes(65_536), randomBytes(3), Buffer.alloc(0), randomBytes(1000)];
    const all = Buffer.concat(chunks);
    const digest = new DigestStream();
    const out: Buffer[] = [];
    await pipeline(Readable.from(chunks), digest, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    });
    expect(Buffer.concat(out).equals(all)).toBe(true);
    expect(digest.summary()).toEqual({ digest: expected(all), size: all.length });
  });

  test('DigestStream.summary() refuses to answer before the stream ended', () => {
    const digest = new DigestStream();
    digest.write(Buffer.from('half'));
    expect(() => digest.summary()).toThrow(/before the stream ended/);
  });

  test('digestOfStream drains a stream it never holds whole', async () => {
    const source = new PassThrough();
    const pending = digestOfStream(source);
    const chunk = randomBytes(1 << 16);
    for (let i = 0; i < 64; i++) source.write(chunk); // 4 MiB in 64 KiB chunks
    source.end();
    const all = Buffer.concat(Array.from({ length: 64 }, () => chunk));
    expect(await pending).toEqual({ digest: expected(all), size: all.length });
  });

  test('digestOfStream rejects when the source fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk gone'));
      },
    });
    await expect(digestOfStream(failing)).rejects.toThrow('disk gone');
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'digest-test-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    test('digestOfFile hashes a file and counts its bytes', async () => {
      const bytes = randomBytes(200_000);
      const file = path.join(dir, 'blob');
      await writeFile(file, bytes);
      expect(await digestOfFile(file)).toEqual({ digest: expected(bytes), size: bytes.length });
    });

    test('digestOfFile rejects for a missing file', async () => {
      await expect(digestOfFile(path.join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  test('assertSummary accepts the same blob and names both sides of a mismatch', () => {
    const blob = { digest: sha256Digest('a'), size: 1 };
    expect(() => assertSummary({ ...blob }, blob)).not.toThrow();
    expect(() => assertSummary({ ...blob, size: 2 }, blob)).toThrow(BlobMismatchError);
    const other = { digest: sha256Digest('b'), size: 1 };
    expect(() => assertSummary(other, blob)).toThrow(
      `blob ${blob.digest} read back as ${other.digest} (1 bytes, expected 1)`,
    );
  });
});
