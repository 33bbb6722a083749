// Our header encoder against tar-stream's packer (which wrote every layer before it): the same
// entries must give the same bytes, so diffIds did not change when the encoder replaced it.
import tar from 'tar-stream';
import { describe, expect, test } from 'vitest';
import { FIXED_MTIME, SYMLINK_MODE } from '../src/entries.js';
import { END_OF_ARCHIVE, encodeHeader, type HeaderFields, paddingLength } from '../src/tar-format.js';
import { collect } from './helpers.js';

const entries: (HeaderFields & { body?: Buffer })[] = [
  { type: 'directory', name: 'nix/', mode: 0o555 },
  { type: 'file', name: 'nix/store/a/empty', mode: 0o444, body: Buffer.alloc(0) },
  { type: 'file', name: 'nix/store/a/one', mode: 0o555, body: Buffer.from('x') },
  { type: 'file', name: 'nix/store/a/block', mode: 0o444, body: Buffer.alloc(512, 1) },
  { type: 'file', name: 'nix/store/a/odd', mode: 0o444, body: Buffer.alloc(70_001, 2) },
  { type: 'symlink', name: 'nix/store/a/link', mode: SYMLINK_MODE, linkname: '../b/lib/libz.so.1' },
  // ustar prefix split: > 100 bytes with a `/` to split at
  {
    type: 'file',
    name: `nix/store/${'d'.repeat(60)}/${'e'.repeat(60)}/f`,
    mode: 0o444,
    body: Buffer.from('p'),
  },
  { type: 'directory', name: `nix/store/${'d'.repeat(60)}/${'e'.repeat(60)}/`, mode: 0o555 },
  // no split fits: a pax path
  { type: 'file', name: `nix/store/${'g'.repeat(120)}`, mode: 0o444, body: Buffer.from('q') },
  { type: 'file', name: `${'h'.repeat(160)}/${'i'.repeat(90)}`, mode: 0o444, body: Buffer.from('r') },
  // not ASCII: a pax path
  { type: 'file', name: 'nix/store/a/share/locale/français/café.mo', mode: 0o444, body: Buffer.from('s') },
  { type: 'directory', name: 'nix/store/a/日本/', mode: 0o555 },
  // long and non-ASCII link targets
  { type: 'symlink', name: 'nix/store/a/far', mode: SYMLINK_MODE, linkname: `/nix/store/${'t'.repeat(120)}` },
  { type: 'symlink', name: 'nix/store/a/ü', mode: SYMLINK_MODE, linkname: 'zürich' },
  { type: 'symlink', name: `nix/store/${'u'.repeat(130)}`, mode: SYMLINK_MODE, linkname: 'v'.repeat(101) },
  // pax records whose length crosses a power of ten
  ...[983, 984, 985, 986, 987, 988, 989, 990, 991, 992, 993, 994, 995, 996, 997].map((n) => ({
    type: 'file' as const,
    name: `nix/store/${'w'.repeat(n)}`,
    mode: 0o444,
    body: Buffer.from('w'),
  })),
];

async function withTarStream(): Promise<Buffer> {
  const pack = tar.pack();
  const done = collect(pack as unknown as NodeJS.ReadableStream as never);
  for (const entry of entries) {
    const header = {
      name: entry.name,
      type: entry.type,
      mode: entry.mode,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      mtime: FIXED_MTIME,
      ...(entry.linkname ? { linkname: entry.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const callback = (error?: Error | null) => (error ? reject(error) : resolve());
      if (entry.body) pack.entry(header, entry.body, callback);
      else pack.entry(header, callback);
    });
  }
  pack.finalize();
  return done;
}

function withOurs(): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const size = entry.body?.length ?? 0;
    parts.push(encodeHeader({ ...entry, size }));
    if (entry.body) parts.push(entry.body, Buffer.alloc(paddingLength(size)));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

describe('encodeHeader', () => {
  test('writes exactly the bytes tar-stream writes for the same entries', async () => {
    const theirs = await withTarStream();
    const ours = withOurs();
    expect(ours.length).toBe(theirs.length);
    for (let offset = 0; offset < ours.length; offset += 512) {
      const block = ours.subarray(offset, offset + 512);
      expect(block.equals(theirs.subarray(offset, offset + 512)), `block at ${offset}`).toBe(true);
    }
  });

  test('sizes beyond 8 GiB use the base-256 form', () => {
    const header = encodeHeader({ type: 'file', name: 'big', mode: 0o444, size: 2 ** 34 });
    expect(header[124]).toBe(0x80);
    expect(header.readUIntBE(124 + 6, 6)).toBe(2 ** 34);
  });
});
