// A consumer that gives up mid-file (a storage upload failing) must not leave a promise
// rejection unhandled: in a server that would end the process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import type { TarEntry } from '../src/entries.js';
import { tarStream } from '../src/tar-writer.js';

test('destroying the tar stream while a file is being read leaves no unhandled rejection', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tar-abort-'));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const files: TarEntry[] = [];
    for (let i = 0; i < 4; i++) {
      const sourcePath = path.join(dir, `f${i}`);
      await writeFile(sourcePath, Buffer.alloc(4 * 1024 * 1024, i));
      files.push({ type: 'file', name: `f${i}`, mode: 0o444, size: 4 * 1024 * 1024, sourcePath });
    }
    async function* entries() {
      yield* files;
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const tar = tarStream(entries());
      let seen = 0;
      for await (const chunk of tar) {
        seen += (chunk as Buffer).length;
        // Give up at a different point each time, like an upload failing mid-way.
        if (seen > (attempt + 1) * 300_000) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await rm(dir, { recursive: true, force: true });
  }
});
