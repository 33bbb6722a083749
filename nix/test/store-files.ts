// Walks store paths and classifies their files, for checks that outputs need nothing from the host.
import { open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type StoreFile =
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'elf'; path: string; hasInterpreter: boolean }
  | { kind: 'text'; path: string; text: string }
  | { kind: 'binary'; path: string };

const PT_INTERP = 3;
const textLimit = 4 * 1024 * 1024;

/** Every file under `root` (a store path), directories excluded. */
export async function* walkStorePath(root: string): AsyncGenerator<StoreFile> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(() => null);
  if (entries === null) {
    // A store path that is a single file or symlink.
    yield await classify(root);
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    yield await classify(join(entry.parentPath, entry.name));
  }
}

async function classify(path: string): Promise<StoreFile> {
  const target = await readlink(path).catch(() => null);
  if (target !== null) return { kind: 'symlink', path, target };
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 8192));
    await handle.read(head, 0, head.length, 0);
    if (head.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
      return { kind: 'elf', path, hasInterpreter: await hasProgramHeader(handle, PT_INTERP) };
    }
    if (head.includes(0) || size > textLimit) return { kind: 'binary', path };
    const text = (await handle.readFile()).toString('utf8');
    return { kind: 'text', path, text };
  } finally {
    await handle.close();
  }
}

/** Reads a 64-bit little-endian ELF's program headers; PT_INTERP means a dynamic loader is needed. */
async function hasProgramHeader(handle: Awaited<ReturnType<typeof open>>, type: number): Promise<boolean> {
  const header = Buffer.alloc(64);
  await handle.read(header, 0, 64, 0);
  if (header[4] !== 2 || header[5] !== 1) throw new Error('only 64-bit little-endian ELF files are expected');
  const phoff = Number(header.readBigUInt64LE(0x20));
  const phentsize = header.readUInt16LE(0x36);
  const phnum = header.readUInt16LE(0x38);
  const table = Buffer.alloc(phentsize * phnum);
  await handle.read(table, 0, table.length, phoff);
  for (let i = 0; i < phnum; i++) {
    if (table.readUInt32LE(i * phentsize) === type) return true;
  }
  return false;
}
