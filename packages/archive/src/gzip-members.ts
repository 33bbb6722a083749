import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';
import { GZIP_HEADER_LENGTH, pinGzipHeader, validateCompressionLevel } from './gzip.js';

/**
 * Uncompressed bytes per gzip member. Members are cut at these fixed offsets of the tar, so the
 * output depends only on the tar and the level, never on the core count or on how the tar was
 * chunked. 1 MiB keeps the ratio within about 0.1 % of one stream (each member starts without
 * deflate's 32 KiB window) and gives a 300 MB layer hundreds of members to spread over the cores.
 */
export const GZIP_MEMBER_BYTES = 1024 * 1024;

/**
 * Names the layout of compressed layers. Their bytes (and digests) changed when layers became
 * members, so a layer cache keyed by contents must include this to keep older blobs apart.
 */
export const LAYER_GZIP_FORMAT = 'gzip-members-1m';

/** zlib's output chunk (as for one stream, see gzip.ts); the bytes do not depend on it. */
const MEMBER_CHUNK_BYTES = 64 * 1024;

export interface MemberGzipOptions {
  level: number;
  /** Members compressed at once (default: the number of CPUs). Does not change the output. */
  parallelism?: number;
  /** Default {@link GZIP_MEMBER_BYTES}; a test may use a smaller one. */
  memberBytes?: number;
  /**
   * Asked at the end when no input came: the whole output, compressed elsewhere (the packing
   * worker compresses a tar of one member itself), or null for an empty input's empty member.
   */
  precompressed?: () => Buffer | null;
}

/**
 * A gzip compressor that cuts its input at fixed offsets and compresses each piece as its own
 * gzip member, several at once on libuv's thread pool, emitting them in order. A file of
 * concatenated members is one valid gzip stream (RFC 1952, 2.2) that every client decompresses
 * whole, so one large layer is compressed on every core instead of one. Each member is a zlib
 * stream fed as input arrives, so compression overlaps the tar's production even for a layer of
 * one member. Memory is bounded by `parallelism` members in flight.
 */
export class MemberGzip extends Transform {
  private readonly level: number;
  private readonly parallelism: number;
  private readonly memberBytes: number;
  /** Members being compressed, in output order; the last one may still take input. */
  private readonly queue: Member[] = [];
  /** The member taking input, and how many bytes it has had. */
  private current: Member | null = null;
  private filled = 0;
  /** Wakes the producer when a member has finished. */
  private wake: (() => void) | null = null;
  private failed: Error | null = null;
  /** Whether any input arrived (a member was started). */
  private started = false;
  private readonly precompressed: (() => Buffer | null) | undefined;

  constructor(options: MemberGzipOptions) {
    super();
    this.level = validateCompressionLevel(options.level);
    this.parallelism = Math.max(1, options.parallelism ?? availableParallelism());
    this.memberBytes = options.memberBytes ?? GZIP_MEMBER_BYTES;
    this.precompressed = options.precompressed;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accept(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.started) {
      const whole = this.precompressed?.();
      if (whole) {
        this.push(whole);
        callback();
        return;
      }
      // An empty input still gets one (empty) member: a gzip file is at least one member.
      this.startMember();
    }
    this.endMember();
    this.waitUntil(0).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.failed ??= error ?? new Error('gzip stream destroyed');
    for (const member of this.queue.splice(0)) member.zlib.destroy();
    this.current = null;
    this.wakeProducer();
    callback(error);
  }

  private async accept(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      if (this.failed) throw this.failed;
      if (this.current === null) {
        // Bounded memory: at most `parallelism` members compress at once.
        await this.waitUntil(this.parallelism - 1);
        this.startMember();
      }
      const take = Math.min(rest.length, this.memberBytes - this.filled);
      this.current!.zlib.write(take === rest.length ? rest : rest.subarray(0, take));
      this.filled += take;
      rest = rest.subarray(take);
      if (this.filled === this.memberBytes) this.endMember();
    }
  }

  /** Resolves once at most `pending` members are still compressing. */
  private async waitUntil(pending: number): Promise<void> {
    while (this.queue.length > pending && this.failed === null) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.failed) throw this.failed;
  }

  private wakeProducer(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private startMember(): void {
    const member: Member = {
      zlib: createGzip({ level: this.level, chunkSize: MEMBER_CHUNK_BYTES }),
      held: [],
      headerLeft: GZIP_HEADER_LENGTH,
      done: false,
    };
    member.zlib.on('data', (output: Buffer) => {
      if (member.headerLeft > 0) pinHeaderPart(member, output);
      if (this.queue[0] === member) this.push(output);
      else member.held.push(output);
    });
    member.zlib.on('end', () => {
      member.done = true;
      this.pushFinished();
    });
    member.zlib.on('error', (error: Error) => this.destroy(error));
    this.queue.push(member);
    this.current = member;
    this.started = true;
    this.filled = 0;
  }

  private endMember(): void {
    this.current?.zlib.end();
    this.current = null;
  }

  /** Drops finished members from the head, handing on what later members held back meanwhile. */
  private pushFinished(): void {
    while (this.queue[0]?.done) {
      this.queue.shift();
      const next = this.queue[0];
      if (next) for (const output of next.held.splice(0)) this.push(output);
    }
    this.wakeProducer();
  }
}

interface Member {
  zlib: Transform;
  /** Output waiting for the members before this one. */
  held: Buffer[];
  /** Header bytes not yet seen (pinned as they pass). */
  headerLeft: number;
  done: boolean;
}

/** Pins MTIME and OS in the part of a member's 10-byte header that `output` holds. */
function pinHeaderPart(member: Member, output: Buffer): void {
  const start = GZIP_HEADER_LENGTH - member.headerLeft;
  const header = Buffer.alloc(GZIP_HEADER_LENGTH);
  const seen = Math.min(member.headerLeft, output.length);
  output.copy(header, start, 0, seen);
  pinGzipHeader(header);
  header.copy(output, 0, start, start + seen);
  member.headerLeft -= seen;
}

/** The layer compressor: gzip members compressed in parallel (see {@link MemberGzip}). */
export function createMemberGzip(level: number, parallelism?: number): Transform {
  return new MemberGzip({ level, ...(parallelism !== undefined ? { parallelism } : {}) });
}
