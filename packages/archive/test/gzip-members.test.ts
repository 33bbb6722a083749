import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { DigestStream } from '@nixery/digest';
import { describe, expect, test } from 'vitest';
import { GZIP_MEMBER_BYTES, MemberGzip, storePathsTar, writeLayer } from '../src/index.js';
import { compressMember } from '../src/member-deflate.js';
import { collect, digestSink, sha256, tempDir } from './helpers.js';

/** Half incompressible (AES-CTR), half text, so members differ in size and in time to compress. */
function sampleData(bytes: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const random = cipher.update(Buffer.alloc(Math.ceil(bytes / 2)));
  const text = Buffer.from('the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(bytes / 50));
  return Buffer.concat([random, text]).subarray(0, bytes);
}

/** Feeds `data` in pieces of `chunk` bytes through a MemberGzip and collects what it emits. */
async function compress(data: Buffer, options: { parallelism: number; chunk: number; memberBytes?: number }) {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += options.chunk) {
    pieces.push(data.subarray(offset, offset + options.chunk));
  }
  const gzip = new MemberGzip({
    level: 6,
    parallelism: options.parallelism,
    ...(options.memberBytes ? { memberBytes: options.memberBytes } : {}),
  });
  return collect(Readable.from(pieces).pipe(gzip));
}

/** The expected output, by definition: each fixed-size piece compressed on its own as one member. */
function referenceMembers(data: Buffer, memberBytes: number): Buffer {
  const members: Buffer[] = [];
  for (let offset = 0; offset < Math.max(data.length, 1); offset += memberBytes) {
    members.push(compressMember(data.subarray(offset, offset + memberBytes), 6));
  }
  return Buffer.concat(members);
}

describe('MemberGzip', () => {
  const data = sampleData(5 * 64 * 1024 + 123);
  const memberBytes = 64 * 1024;

  test('output is fixed-offset members, whatever the parallelism and input chunking', async () => {
    const expected = referenceMembers(data, memberBytes);
    for (const parallelism of [1, 2, 3, 16]) {
      for (const chunk of [1000, 64 * 1024, 200_000, data.length]) {
        const out = await compress(data, { parallelism, chunk, memberBytes });
        expect(sha256(out), `parallelism ${parallelism}, chunk ${chunk}`).toBe(sha256(expected));
      }
    }
    expect(gunzipSync(expected).equals(data)).toBe(true);
  });

  test('GNU gzip decompresses the concatenated members as one stream', async () => {
    const out = await compress(data, { parallelism: 2, chunk: 10_000, memberBytes });
    const dir = await tempDir('archive-members-');
    try {
      const file = path.join(dir.dir, 'layer.gz');
      await writeFile(file, out);
      const decompressed = execFileSync('gzip', ['-dc', file], { maxBuffer: 64 * 1024 * 1024 });
      expect(decompressed.equals(data)).toBe(true);
      execFileSync('gzip', ['-t', file]);
    } finally {
      await dir.cleanup();
    }
  });

  test('an empty input is one empty gzip member', async () => {
    const out = await compress(Buffer.alloc(0), { parallelism: 2, chunk: 1 });
    expect(out.equals(referenceMembers(Buffer.alloc(0), memberBytes))).toBe(true);
    expect(gunzipSync(out).length).toBe(0);
  });

  test('an input of exactly one member size makes one member, not an extra empty one', async () => {
    const exact = data.subarray(0, memberBytes);
    const out = await compress(exact, { parallelism: 2, chunk: 4096, memberBytes });
    expect(out.equals(referenceMembers(exact, memberBytes))).toBe(true);
  });

  test('bounded: a stalled consumer stops the input after a few members', async () => {
    const gzip = new MemberGzip({ level: 1, parallelism: 2, memberBytes });
    let written = 0;
    const feed = async () => {
      for (let i = 0; i < 200; i++) {
        if (!gzip.write(data.subarray(0, memberBytes))) await new Promise((r) => gzip.once('drain', r));
        written++;
      }
    };
    void feed();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nothing reads the output: the writable side must have stopped long before 200 members.
    expect(written).toBeLessThan(12);
    gzip.destroy();
  });

  test('destroying it mid-stream rejects the pipeline and leaves nothing running', async () => {
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 50; i++) yield data.subarray(0, memberBytes);
      })(),
    );
    const gzip = new MemberGzip({ level: 6, parallelism: 2, memberBytes });
    setTimeout(() => gzip.destroy(new Error('stop')), 20);
    await expect(pipeline(source, gzip, new DigestStream())).rejects.toThrow('stop');
  });

  test('a rejected level fails at construction', () => {
    expect(() => new MemberGzip({ level: 11 })).toThrow(RangeError);
  });
});

describe('layers as gzip members', () => {
  test('a layer larger than one member is the tar cut into 1 MiB members', async () => {
    const root = await tempDir('archive-member-layer-');
    try {
      const store = path.join(root.dir, 'store');
      const pkg = path.join(store, 'cccccccccccccccccccccccccccccccc-big');
      execFileSync('mkdir', ['-p', path.join(pkg, 'lib')]);
      await writeFile(path.join(pkg, 'lib', 'blob'), sampleData(2 * GZIP_MEMBER_BYTES + 5000));
      await writeFile(path.join(pkg, 'README'), 'hello\n');
      const tar = await collect(storePathsTar([pkg], { storeDir: store }));
      const expected = referenceMembers(tar, GZIP_MEMBER_BYTES);
      const layer = await writeLayer({ kind: 'store-paths', paths: [pkg] }, digestSink, {
        storeDir: store,
      });
      expect(layer.digest).toBe(sha256(expected));
      expect(layer.size).toBe(expected.length);
      expect(layer.diffId).toBe(sha256(tar));
      expect(gunzipSync(expected).equals(tar)).toBe(true);
    } finally {
      await root.cleanup();
    }
  });
});
