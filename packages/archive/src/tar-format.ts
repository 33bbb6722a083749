/**
 * The tar headers of our layers, encoded without a streaming library so the same code serves
 * the main thread and the packing worker. The bytes are exactly those tar-stream 3 writes for
 * the same header (ustar; a pax `path`/`linkpath` record when a name does not fit or is not
 * ASCII), so archives, and their diffIds, did not change when this replaced it; a test packs the
 * same entries both ways.
 */
import { FIXED_MTIME, SYMLINK_MODE } from './entries.js';

export const BLOCK = 512;

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

type HeaderType = 'file' | 'directory' | 'symlink' | 'pax-header';

const TYPEFLAG: Record<HeaderType, number> = { file: 0, symlink: 2, directory: 5, 'pax-header': 72 };
const MTIME_SECONDS = Math.floor(FIXED_MTIME.getTime() / 1000);
const ZERO = 0x30;

export interface HeaderFields {
  type: 'file' | 'directory' | 'symlink';
  name: string;
  mode: number;
  /** Bytes of the body (files only). */
  size?: number;
  linkname?: string;
}

/** Zero bytes that pad a body of `size` bytes to a whole block. */
export function paddingLength(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/**
 * The header block(s) of one entry: one ustar block, or a pax header block, its record padded
 * to a block, and a ustar block named `PaxHeader` when a name or link target does not fit.
 */
export function encodeHeader(fields: HeaderFields): Buffer {
  const mode = fields.type === 'symlink' ? SYMLINK_MODE : fields.mode;
  const size = fields.size ?? 0;
  const ustar = encodeUstar(fields.type, fields.name, mode, size, fields.linkname);
  if (ustar) return ustar;

  const record = Buffer.from(
    paxRecord('path', fields.name) + (fields.linkname ? paxRecord('linkpath', fields.linkname) : ''),
  );
  const linkname = fields.linkname ? 'PaxHeader' : undefined;
  const paxHeader = encodeUstar('pax-header', 'PaxHeader', mode, record.length, linkname)!;
  const real = encodeUstar(fields.type, 'PaxHeader', mode, size, linkname)!;
  return Buffer.concat([paxHeader, record, Buffer.alloc(paddingLength(record.length)), real]);
}

/** One ustar block, or null when the name (split at a `/` into prefix and name) or link does not fit. */
function encodeUstar(
  type: HeaderType,
  fullName: string,
  mode: number,
  size: number,
  linkname: string | undefined,
): Buffer | null {
  let name = fullName;
  let prefix = '';
  if (Buffer.byteLength(name) !== name.length) return null; // not ASCII: a pax path
  while (name.length > 100) {
    const slash = name.indexOf('/');
    if (slash === -1) return null;
    prefix += prefix ? `/${name.slice(0, slash)}` : name.slice(0, slash);
    name = name.slice(slash + 1);
  }
  if (name.length > 100 || prefix.length > 155) return null;
  if (linkname && Buffer.byteLength(linkname) > 100) return null;

  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 'latin1');
  block.write(octal(mode & 0o7777, 6), 100, 'latin1');
  block.write(octal(0, 6), 108, 'latin1'); // uid
  block.write(octal(0, 6), 116, 'latin1'); // gid
  writeSize(block, size);
  block.write(octal(MTIME_SECONDS, 11), 136, 'latin1');
  block[156] = ZERO + TYPEFLAG[type];
  if (linkname) block.write(linkname, 157, 'utf8');
  block.write('ustar\u0000', 257, 'latin1');
  block.write('00', 263, 'latin1');
  // uname and gname stay empty.
  block.write(octal(0, 6), 329, 'latin1'); // devmajor
  block.write(octal(0, 6), 337, 'latin1'); // devminor
  if (prefix) block.write(prefix, 345, 'latin1');
  block.write(octal(checksum(block), 6), 148, 'latin1');
  return block;
}

/** `digits` octal digits and a space, or all sevens when the value does not fit (as tar-stream). */
function octal(value: number, digits: number): string {
  const text = value.toString(8);
  if (text.length > digits) return `${'7'.repeat(digits)} `;
  return `${'0'.repeat(digits - text.length)}${text} `;
}

/** Sizes beyond 11 octal digits (8 GiB) use the base-256 form GNU tar reads. */
function writeSize(block: Buffer, size: number): void {
  if (size.toString(8).length <= 11) {
    block.write(octal(size, 11), 124, 'latin1');
    return;
  }
  block[124] = 0x80;
  let rest = size;
  for (let i = 11; i > 0; i--) {
    block[124 + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** The header checksum: the bytes with the checksum field counted as eight spaces. */
function checksum(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let i = 156; i < BLOCK; i++) sum += block[i]!;
  return sum;
}

/** A pax record: `<length> <key>=<value>\n`, the length counting its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const length = Buffer.byteLength(body);
  let digits = String(length).length;
  if (length + digits >= 10 ** digits) digits++;
  return `${length + digits}${body}`;
}
