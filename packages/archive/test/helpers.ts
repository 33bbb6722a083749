import { createHash } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { digestOfStream } from '@nixery/digest';
import tar from 'tar-stream';
import type { BlobSink } from '../src/index.js';

export interface ListedEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  linkname: string | null;
  size: number;
  sha256: string | null;
}

/** Parses a tar stream with tar-stream's extractor (an independent reader of what we wrote). */
export async function listTar(stream: Readable): Promise<ListedEntry[]> {
  const extract = tar.extract();
  const entries: ListedEntry[] = [];
  stream.pipe(extract);
  for await (const entry of extract) {
    const hash = createHash('sha256');
    for await (const chunk of entry) hash.update(chunk as Buffer);
    const h = entry.header;
    entries.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      uname: h.uname,
      gname: h.gname,
      mtime: h.mtime.getTime(),
      linkname: h.linkname ?? null,
      size: h.size,
      sha256: h.type === 'file' ? hash.digest('hex') : null,
    });
  }
  return entries;
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A sink that only hashes and counts what it receives, a stream or a whole small layer. */
export const digestSink: BlobSink = async (compressed) =>
  Buffer.isBuffer(compressed)
    ? { digest: sha256(compressed), size: compressed.length }
    : digestOfStream(compressed);

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const DEMO = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-demo-1.0';
export const DEP = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-dep-2.0';
export const LONG_NAME = `${'very-long-directory-name-'.repeat(4)}x/${'and-a-long-file-name-'.repeat(4)}.txt`;

type Step = () => Promise<unknown>;

/**
 * A fake store with two store paths covering every kind of entry: executables, nested and empty
 * directories, relative and absolute symlinks, a hard link and a name longer than 100 bytes.
 * `shuffle` creates the same tree in a different order (directory order on disk then differs)
 * with different mtimes and permission bits, which must not change the archive.
 */
export async function makeFixtureStore(storeDir: string, shuffle = false): Promise<string[]> {
  const demo = path.join(storeDir, DEMO);
  const dep = path.join(storeDir, DEP);
  const p = (...parts: string[]) => path.join(demo, ...parts);
  const dirs: Step[] = [
    () => mkdir(p('bin'), { recursive: true }),
    () => mkdir(p('share', 'doc'), { recursive: true }),
    () => mkdir(p('share', 'empty'), { recursive: true }),
    () => mkdir(p('lib'), { recursive: true }),
    () => mkdir(p(path.dirname(LONG_NAME)), { recursive: true }),
    () => mkdir(path.join(dep, 'etc'), { recursive: true }),
  ];
  const files: Step[] = [
    () => writeFile(p('bin', 'hello'), '#!/bin/sh\necho hello\n', { mode: 0o755 }),
    () => writeFile(p('bin', 'Zed'), 'capital letters sort before lower case\n', { mode: 0o644 }),
    () => writeFile(p('share', 'doc', 'readme.txt'), 'read me\n'.repeat(1000), { mode: 0o600 }),
    () => writeFile(p('share', 'a-b'), 'a dash sorts before a slash\n'),
    () => writeFile(p(LONG_NAME), 'long\n'),
    () => writeFile(path.join(dep, 'etc', 'dep.conf'), 'key = value\n', { mode: 0o640 }),
    () => writeFile(p('empty-file'), ''),
  ];
  const links: Step[] = [
    () => symlink('hello', p('bin', 'hi')),
    () => symlink('/etc/hostname', p('lib', 'absolute')),
    () => symlink(`/nix/store/${DEP}/etc/dep.conf`, p('lib', 'dep.conf')),
    () => link(p('share', 'doc', 'readme.txt'), p('lib', 'hardlink.txt')),
  ];
  const order = (steps: Step[]) => (shuffle ? [...steps].reverse() : steps);
  for (const step of order(dirs)) await step();
  for (const step of order(files)) await step();
  for (const step of order(links)) await step();
  if (shuffle) {
    await chmod(p('bin', 'hello'), 0o700);
    await utimes(p('share', 'doc', 'readme.txt'), 123456, 654321);
    await chmod(p('share', 'empty'), 0o700);
  }
  return [demo, dep];
}
