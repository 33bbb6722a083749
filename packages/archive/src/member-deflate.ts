import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { GZIP_HEADER_LENGTH, pinGzipHeader, validateCompressionLevel } from './gzip.js';

/**
 * Bytes judged together when deciding whether deflate can gain anything. The cut points are
 * fixed offsets of the member, so the decision depends on the bytes alone.
 */
export const STORED_BLOCK_BYTES = 64 * 1024;

/**
 * A block whose byte entropy (bits per byte, estimated from every fourth byte) reaches this is
 * stored rather than deflated. Already-compressed or random data sits at 7.98–8; text and
 * machine code at 4–6.5. Above the threshold even ideal Huffman coding saves under 0.6 %, and
 * zlib would spend level-6 match searching only to fall back to stored blocks itself.
 */
const STORED_ENTROPY_BITS = 7.95;
const ENTROPY_SAMPLE_STRIDE = 4;
/** Shorter blocks (a member's tail) are always deflated: too few samples to judge. */
const SMALLEST_JUDGED_BYTES = 4 * 1024;
/** Deflate's stored blocks hold at most this many bytes (RFC 1951, 3.2.4). */
const STORED_BLOCK_LIMIT = 0xffff;
/** An empty final stored block: BFINAL=1, BTYPE=00, LEN=0, NLEN=0xffff. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);

/** Estimated order-0 entropy of `block` in bits per byte. */
export function byteEntropy(block: Uint8Array): number {
  const counts = new Uint32Array(256);
  let samples = 0;
  for (let i = 0; i < block.length; i += ENTROPY_SAMPLE_STRIDE) {
    counts[block[i]!]!++;
    samples++;
  }
  let bits = 0;
  for (let symbol = 0; symbol < 256; symbol++) {
    const count = counts[symbol]!;
    if (count === 0) continue;
    const p = count / samples;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function isIncompressible(block: Uint8Array): boolean {
  return block.length >= SMALLEST_JUDGED_BYTES && byteEntropy(block) >= STORED_ENTROPY_BITS;
}

/**
 * One gzip member of `data` at `level`, with MTIME and OS pinned. Data deflate can compress
 * comes out exactly as zlib's `gzipSync` makes it. Where a 64 KiB block of the member is
 * incompressible (see {@link STORED_ENTROPY_BITS}), that run is written as deflate stored
 * blocks and the runs between are deflated on their own (each ends on a byte boundary with a
 * sync flush), so the member is still one valid deflate stream with one CRC: about the size
 * zlib would produce, without its futile match search (most of the time of a layer of
 * compressed files, archives or random data). Synchronous: run it in a worker thread.
 */
export function compressMember(data: Uint8Array, level: number): Buffer {
  validateCompressionLevel(level);
  const runs = level === 0 ? [] : blockRuns(data);
  if (!runs.some((run) => run.stored)) return pinGzipHeader(gzipSync(data, { level }));

  const parts: Buffer[] = [gzipHeader(level)];
  for (const run of runs) {
    const bytes = data.subarray(run.start, run.end);
    if (run.stored) parts.push(...storedBlocks(bytes));
    else parts.push(deflateRawSync(bytes, { level, finishFlush: constants.Z_SYNC_FLUSH }));
  }
  parts.push(FINAL_EMPTY_BLOCK, gzipTrailer(data));
  return Buffer.concat(parts);
}

interface Run {
  start: number;
  end: number;
  stored: boolean;
}

/** The member cut into maximal runs of blocks that are all stored or all deflated. */
function blockRuns(data: Uint8Array): Run[] {
  const runs: Run[] = [];
  for (let start = 0; start < data.length; start += STORED_BLOCK_BYTES) {
    const end = Math.min(start + STORED_BLOCK_BYTES, data.length);
    const stored = isIncompressible(data.subarray(start, end));
    const last = runs[runs.length - 1];
    if (last && last.stored === stored) last.end = end;
    else runs.push({ start, end, stored });
  }
  return runs;
}

/** Non-final stored blocks holding `bytes` (each starts byte-aligned: the previous part ended so). */
function storedBlocks(bytes: Uint8Array): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += STORED_BLOCK_LIMIT) {
    const piece = bytes.subarray(offset, Math.min(offset + STORED_BLOCK_LIMIT, bytes.length));
    const header = Buffer.alloc(5);
    header[0] = 0x00; // BFINAL=0, BTYPE=00 (stored)
    header.writeUInt16LE(piece.length, 1);
    header.writeUInt16LE(~piece.length & 0xffff, 3);
    parts.push(header, Buffer.from(piece.buffer, piece.byteOffset, piece.length));
  }
  return parts;
}

/** The 10-byte header zlib writes at this level (its XFL byte depends on it), pinned. */
function gzipHeader(level: number): Buffer {
  return pinGzipHeader(Buffer.from(gzipSync(Buffer.alloc(0), { level }).subarray(0, GZIP_HEADER_LENGTH)));
}

/** CRC-32 and length (mod 2^32) of the uncompressed member, little-endian (RFC 1952, 2.3.1). */
function gzipTrailer(data: Uint8Array): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return trailer;
}
