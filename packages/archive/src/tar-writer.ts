import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { FIXED_MTIME, SYMLINK_MODE, type TarEntry } from './entries.js';

const OUTPUT_HIGH_WATER_MARK = 64 * 1024;
const FILE_CHUNK_SIZE = 64 * 1024;

class TarAbortedError extends Error {
  constructor() {
    super('tar stream was destroyed by its consumer');
    this.name = 'TarAbortedError';
  }
}

/**
 * Streams a tar archive of `entries` (consumed one at a time, in order).
 *
 * tar-stream formats the headers; the pacing is ours: before each header and each file chunk
 * the producer waits until the returned Readable has room, so neither the entry walk nor the
 * file reads run ahead of the consumer (memory stays at about one chunk plus the buffers).
 */
export function tarStream(entries: AsyncIterable<TarEntry>): Readable {
  const pack = tar.pack();
  let wake: (() => void) | null = null;
  let aborted = false;

  const output = new Readable({
    highWaterMark: OUTPUT_HIGH_WATER_MARK,
    read() {
      const resume = wake;
      wake = null;
      resume?.();
    },
    destroy(error, callback) {
      aborted = true;
      const resume = wake;
      wake = null;
      resume?.();
      pack.destroy();
      callback(error);
    },
  });

  pack.on('data', (chunk) => {
    if (!aborted) output.push(chunk as Buffer);
  });
  pack.on('end', () => {
    if (!aborted) output.push(null);
  });
  pack.on('error', (error: Error) => {
    if (!aborted) output.destroy(error);
  });

  const waitForRoom = async (): Promise<void> => {
    while (!aborted && output.readableLength >= output.readableHighWaterMark) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (aborted) throw new TarAbortedError();
  };

  const produce = async (): Promise<void> => {
    for await (const entry of entries) {
      await waitForRoom();
      await writeEntry(pack, entry, waitForRoom);
    }
    pack.finalize();
  };

  produce().catch((error: unknown) => {
    if (error instanceof TarAbortedError) return;
    output.destroy(error instanceof Error ? error : new Error(String(error)));
  });

  return output;
}

async function writeEntry(pack: tar.Pack, entry: TarEntry, waitForRoom: () => Promise<void>): Promise<void> {
  const common = { uid: 0, gid: 0, uname: '', gname: '', mtime: FIXED_MTIME };
  let finished!: Promise<void>;
  const done = (resolve: () => void, reject: (error: Error) => void) => (error?: Error | null) =>
    error ? reject(error) : resolve();

  switch (entry.type) {
    case 'directory': {
      const name = entry.name.endsWith('/') ? entry.name : `${entry.name}/`;
      finished = new Promise((resolve, reject) => {
        pack.entry({ ...common, name, type: 'directory', mode: entry.mode }, done(resolve, reject));
      });
      return finished;
    }
    case 'symlink': {
      finished = new Promise((resolve, reject) => {
        pack.entry(
          { ...common, name: entry.name, type: 'symlink', mode: SYMLINK_MODE, linkname: entry.target },
          done(resolve, reject),
        );
      });
      return finished;
    }
    case 'file': {
      let sink!: ReturnType<tar.Pack['entry']>;
      finished = new Promise((resolve, reject) => {
        sink = pack.entry(
          { ...common, name: entry.name, type: 'file', mode: entry.mode, size: entry.size },
          done(resolve, reject),
        );
      });
      // Destroying the pack rejects this while a file read is still pending; mark it handled
      // now (the caller still awaits it), or Node reports an unhandled rejection and a server dies.
      finished.catch(() => {});
      // An empty file needs no body; tar-stream completes it on end().
      const contents = createReadStream(entry.sourcePath, { highWaterMark: FILE_CHUNK_SIZE });
      try {
        for await (const chunk of contents) {
          await waitForRoom();
          if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
        }
      } catch (error) {
        sink.destroy(error instanceof Error ? error : undefined);
        throw error;
      } finally {
        contents.destroy();
      }
      sink.end(undefined);
      return finished;
    }
  }
}
