import { close, createReadStream, open, read } from 'node:fs';
import { Readable } from 'node:stream';
import { changedSize, SYMLINK_MODE, type TarEntry } from './entries.js';
import { BLOCK, END_OF_ARCHIVE, encodeHeader, paddingLength } from './tar-format.js';

const OUTPUT_HIGH_WATER_MARK = 64 * 1024;
/** Output is pushed in chunks of about this size. */
const OUTPUT_CHUNK_SIZE = 64 * 1024;
const FILE_CHUNK_SIZE = 64 * 1024;

/** Files up to this size are read whole, ahead of time; larger ones are streamed in chunks. */
const SMALL_FILE_SIZE = 128 * 1024;
/** How many entries, and how many bytes of small files, may be read ahead of the one being written. */
const PREFETCH_ENTRIES = 256;
const PREFETCH_BYTES = 8 * 1024 * 1024;

type PreparedEntry = TarEntry & { contents?: Promise<Buffer> };

/**
 * Reads small files ahead, within a bounded window, keeping the entries' order. Packing many
 * small files is bound by the latency of open/read/close, not by throughput; overlapping those
 * calls is what lets a layer of thousands of files stream at disk speed.
 */
async function* prefetchSmallFiles(entries: AsyncIterable<TarEntry>): AsyncGenerator<PreparedEntry> {
  const window: PreparedEntry[] = [];
  let windowBytes = 0;
  const iterator = entries[Symbol.asyncIterator]();
  let exhausted = false;
  try {
    for (;;) {
      // Read ahead until the window is full or a large (streamed) file ends it.
      while (!exhausted && window.length < PREFETCH_ENTRIES && windowBytes < PREFETCH_BYTES) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const entry: PreparedEntry = next.value;
        window.push(entry);
        if (entry.type !== 'file') continue;
        if (entry.size > SMALL_FILE_SIZE) break;
        entry.contents = readSmallFile(entry.sourcePath, entry.size);
        // Awaited when the entry is written; a rejection before then must not go unhandled.
        entry.contents.catch(() => {});
        windowBytes += entry.size;
      }
      const entry = window.shift();
      if (entry === undefined) return;
      if (entry.contents) windowBytes -= entry.type === 'file' ? entry.size : 0;
      yield entry;
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * Reads a file whose size the walk already knows: open, one read, close, with the callback API.
 * `readFile` adds an fstat and a promise-wrapped FileHandle per file (about 10 % of the CPU
 * time of a closure of 5,000 tiny store paths). One byte more is asked for, so a file that grew
 * since the walk is noticed, as one that shrank is by a short read.
 */
function readSmallFile(file: string, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    open(file, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      const buffer = Buffer.allocUnsafe(size + 1);
      read(fd, buffer, 0, size + 1, 0, (readError, bytesRead) => {
        close(fd, (closeError) => {
          const error = readError ?? closeError;
          if (error) reject(error);
          else resolve(buffer.subarray(0, bytesRead));
        });
      });
    });
  });
}

class TarAbortedError extends Error {
  constructor() {
    super('tar stream was destroyed by its consumer');
    this.name = 'TarAbortedError';
  }
}

/**
 * Streams a tar archive of `entries` (consumed one at a time, in order), on this thread: the root
 * layer's forest and any other entry source. (Store-path layers are packed by a worker:
 * pack-job.ts, with the same header encoder.)
 *
 * Before each header and each file chunk the producer waits until the returned Readable has
 * room, so neither the entry walk nor the file reads run ahead of the consumer (memory stays at
 * about one chunk plus the buffers).
 */
export function tarStream(entries: AsyncIterable<TarEntry>): Readable {
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
      callback(error);
    },
  });

  // Headers are 512 bytes and small files small; passing thousands of tiny chunks down the
  // pipeline costs more than packing them, so gather them into ~64 KiB pushes.
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const flush = () => {
    if (gatheredBytes === 0) return;
    output.push(gathered.length === 1 ? gathered[0] : Buffer.concat(gathered, gatheredBytes));
    gathered = [];
    gatheredBytes = 0;
  };
  const emit = (bytes: Buffer) => {
    if (bytes.length === 0) return;
    gathered.push(bytes);
    gatheredBytes += bytes.length;
    if (gatheredBytes >= OUTPUT_CHUNK_SIZE) flush();
  };

  const waitForRoom = async (): Promise<void> => {
    // Gathered bytes count too: they are output that has not been pushed yet.
    while (!aborted && output.readableLength + gatheredBytes >= output.readableHighWaterMark) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (aborted) throw new TarAbortedError();
  };

  const produce = async (): Promise<void> => {
    for await (const entry of prefetchSmallFiles(entries)) {
      await waitForRoom();
      await writeEntry(entry, emit, waitForRoom);
    }
    emit(END_OF_ARCHIVE);
    flush();
    output.push(null);
  };

  produce().catch((error: unknown) => {
    if (error instanceof TarAbortedError) return;
    output.destroy(error instanceof Error ? error : new Error(String(error)));
  });

  return output;
}

async function writeEntry(
  entry: PreparedEntry,
  emit: (bytes: Buffer) => void,
  waitForRoom: () => Promise<void>,
): Promise<void> {
  switch (entry.type) {
    case 'directory': {
      const name = entry.name.endsWith('/') ? entry.name : `${entry.name}/`;
      emit(encodeHeader({ type: 'directory', name, mode: entry.mode }));
      return;
    }
    case 'symlink':
      emit(encodeHeader({ type: 'symlink', name: entry.name, mode: SYMLINK_MODE, linkname: entry.target }));
      return;
    case 'file': {
      const header = encodeHeader({ type: 'file', name: entry.name, mode: entry.mode, size: entry.size });
      if (entry.contents) {
        const contents = await entry.contents;
        if (contents.length !== entry.size) throw changedSize(entry.sourcePath);
        emit(header);
        emit(contents);
      } else {
        emit(header);
        const contents = createReadStream(entry.sourcePath, { highWaterMark: FILE_CHUNK_SIZE });
        let packed = 0;
        try {
          for await (const chunk of contents) {
            packed += (chunk as Buffer).length;
            if (packed > entry.size) throw changedSize(entry.sourcePath);
            await waitForRoom();
            emit(chunk as Buffer);
          }
        } finally {
          contents.destroy();
        }
        if (packed !== entry.size) throw changedSize(entry.sourcePath);
      }
      emit(ZERO_BLOCK.subarray(0, paddingLength(entry.size)));
      return;
    }
  }
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);
