// A store path must not change while it is packed; if a file's size differs from what the walk
// saw (it grew or shrank in between), the layer fails instead of carrying a wrong header.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TarEntry } from '../src/entries.js';
import { tarStream } from '../src/tar-writer.js';
import { collect } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tar-changed-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* one(entry: TarEntry) {
  yield entry;
}

test.each([
  ['grew', 100, 99],
  ['shrank', 100, 101],
  ['grew (a large, streamed file)', 300_000, 299_999],
  ['shrank (a large, streamed file)', 300_000, 300_001],
])('a file that %s since the walk fails the tar stream', async (_, actual, walked) => {
  const sourcePath = path.join(dir, `f-${actual}-${walked}`);
  await writeFile(sourcePath, Buffer.alloc(actual, 1));
  const tar = tarStream(one({ type: 'file', name: 'f', mode: 0o444, size: walked, sourcePath }));
  await expect(collect(tar)).rejects.toThrow(/changed size while it was packed/);
});

test('a file of the size the walk saw is packed whole', async () => {
  const sourcePath = path.join(dir, 'same');
  await writeFile(sourcePath, Buffer.alloc(1000, 7));
  const tar = await collect(tarStream(one({ type: 'file', name: 'f', mode: 0o444, size: 1000, sourcePath })));
  expect(tar.subarray(512, 1512).equals(Buffer.alloc(1000, 7))).toBe(true);
});
