// Filesystem-only behaviour: on-disk layout, atomic visibility, confinement to the root, a full disk.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FilesystemStorage, InvalidKeyError } from '../src/index.js';
import { SMALL_FILE_BYTES } from '../src/local-calls.js';
import { chunked, patternBytes, readAll, sha256Digest } from './support/streams.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'storage-fs-only-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function freshRoot(): Promise<string> {
  const root = path.join(scratch, `root-${Math.random().toString(36).slice(2)}`);
  await mkdir(root);
  return root;
}

/** Every file below `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('filesystem storage', () => {
  test('blobs are plain files at blobs/sha256/<hex>; objects carry a content-type line', async () => {
    const root = await freshRoot();
    const storage = new FilesystemStorage(root);
    const bytes = patternBytes(10_000);
    const { digest } = await storage.putBlob(chunked(bytes));
    await storage.putObject('layers/k.json', Buffer.from('{"size":1}'), 'application/json');

    const hex = digest.slice('sha256:'.length);
    expect(await filesUnder(root)).toEqual([`blobs/sha256/${hex}`, 'layers/k.json']);
    expect((await readFile(path.join(root, 'blobs/sha256', hex))).equals(bytes)).toBe(true);
    expect(await readFile(path.join(root, 'layers/k.json'), 'utf8')).toBe('application/json\n{"size":1}');
    expect(await storage.statBlob(digest)).toEqual({ size: 10_000, contentType: null });
  });

  test('a record put without fsyncs (durable: false) reads back the same; an empty file reads as missing', async () => {
    const root = await freshRoot();
    const storage = new FilesystemStorage(root);
    await storage.putObject('layers/r.json', Buffer.from('{"a":1}'), 'application/json', { durable: false });
    expect(await storage.getObject('layers/r.json')).toEqual({
      contentType: 'application/json',
      body: Buffer.from('{"a":1}'),
    });
    // Replaced whole, as a durable put is; the staging copy is gone.
    await storage.putObject('layers/r.json', Buffer.from('{"a":2}'), 'application/json', { durable: false });
    expect((await storage.getObject('layers/r.json'))?.body.toString()).toBe('{"a":2}');
    expect(await filesUnder(root)).toEqual(['layers/r.json']);
    // What a crash can leave of such a put: an empty file, which is no object at all.
    await writeFile(path.join(root, 'layers/empty.json'), '');
    expect(await storage.getObject('layers/empty.json')).toBeNull();
  });

  test('bytes on either side of the small-file limit are written and read back whole', async () => {
    // Up to SMALL_FILE_BYTES they go through synchronous calls (local-calls.ts), above it the pool.
    const root = await freshRoot();
    const storage = new FilesystemStorage(root);
    for (const size of [0, 1, SMALL_FILE_BYTES, SMALL_FILE_BYTES + 1, 3 * SMALL_FILE_BYTES]) {
      const bytes = patternBytes(size);
      const { digest } = await storage.putBlob(bytes);
      expect(digest).toBe(sha256Digest(bytes));
      // equals, not toEqual: a deep comparison of megabytes takes vitest most of a minute.
      expect((await readAll(await storage.readBlob(digest))).equals(bytes)).toBe(true);
      await storage.putObject(`records/r${size}`, bytes, 'application/octet-stream');
      expect((await storage.getObject(`records/r${size}`))?.body.equals(bytes)).toBe(true);
    }
    expect(await filesUnder(path.join(root, 'staging'))).toEqual([]);
  });

  test('a stored blob leaves nothing in staging (the move consumed it)', async () => {
    const root = await freshRoot();
    const storage = new FilesystemStorage(root);
    const bytes = patternBytes(5_000);
    const first = await storage.putBlob(chunked(bytes));
    // The same bytes again: nothing is moved, and the staging copy is deleted.
    const again = await storage.putBlob(chunked(bytes));
    expect(again).toEqual(first);
    expect(await filesUnder(root)).toEqual([`blobs/sha256/${first.digest.slice(7)}`]);
  });

  test('a blob is invisible under its digest until the upload has completed', async () => {
    const root = await freshRoot();
    const storage = new FilesystemStorage(root);
    const first = patternBytes(300_000, 11);
    const rest = patternBytes(300_000, 12);
    const digest = sha256Digest(Buffer.concat([first, rest]));

    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstChunkTaken!: () => void;
    const halfWay = new Promise<void>((resolve) => {
      firstChunkTaken = resolve;
    });
    const source = Readable.from(
      (async function* () {
        yield first;
        firstChunkTaken();
        await gate;
        yield rest;
      })(),
    );

    const upload = storage.putBlob(source);
    await halfWay;
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the first chunk reach the disk
    expect(await storage.statBlob(digest)).toBeNull();
    expect(await filesUnder(path.join(root, 'blobs'))).toEqual([]);
    const staged = await filesUnder(path.join(root, 'staging'));
    expect(staged).toHaveLength(1);

    release();
    expect(await upload).toEqual({ digest, size: 600_000 });
    expect((await storage.statBlob(digest))?.size).toBe(600_000);
    expect(await filesUnder(path.join(root, 'staging'))).toEqual([]);
  });

  test('reads come in 1 MiB chunks', async () => {
    const storage = new FilesystemStorage(await freshRoot());
    const bytes = patternBytes(3 * 1024 * 1024 + 5, 4);
    const { digest } = await storage.putBlob(chunked(bytes));
    const sizes: number[] = [];
    for await (const chunk of await storage.readBlob(digest)) sizes.push((chunk as Buffer).length);
    expect(sizes).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 5]);
  });

  test('no key can read or write outside the root, and rejected calls leave nothing behind', async () => {
    const parent = await freshRoot();
    const root = path.join(parent, 'store');
    const storage = new FilesystemStorage(root);
    await storage.putObject('inside.json', Buffer.from('{}'), 'application/json');
    const before = await filesUnder(parent);

    const escapes = [
      '../outside.json',
      'a/../../outside.json',
      `..${path.sep}outside.json`,
      '/tmp/outside.json',
    ];
    for (const key of escapes) {
      await expect(storage.putObject(key, Buffer.from('x'), 'text/plain'), key).rejects.toBeInstanceOf(
        InvalidKeyError,
      );
      await expect(storage.getObject(key), key).rejects.toBeInstanceOf(InvalidKeyError);
    }
    expect(await filesUnder(parent)).toEqual(before);
    expect(before).toEqual(['store/inside.json']);
  });

  test('a key whose parent is an object, or a folder read as an object, reads as missing', async () => {
    const storage = new FilesystemStorage(await freshRoot());
    await storage.putObject('manifests/a.json', Buffer.from('{}'), 'application/json');
    expect(await storage.getObject('manifests/a.json/b.json')).toBeNull();
    expect(await storage.getObject('manifests')).toBeNull();
  });

  test('a full disk fails the upload and leaves no partial blob or staging file', async (context) => {
    const mountPoint = path.join(scratch, 'tiny-tmpfs');
    await mkdir(mountPoint, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() || String(error);
      context.skip(`cannot mount a 1 MiB tmpfs here (needs root): ${reason}`);
    }
    try {
      const storage = new FilesystemStorage(mountPoint);
      const tooBig = patternBytes(2 * 1024 * 1024, 21);
      const failure = await storage.putBlob(chunked(tooBig)).catch((error) => error);
      expect((failure as NodeJS.ErrnoException).code).toBe('ENOSPC');
      expect(await filesUnder(mountPoint)).toEqual([]);

      // The space was given back: a blob that fits still goes in.
      const fits = patternBytes(200 * 1024, 22);
      const { digest } = await storage.putBlob(chunked(fits));
      expect((await readAll(await storage.readBlob(digest))).equals(fits)).toBe(true);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});
