import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { gzip } from 'node:zlib';
import { pinGzipHeader, validateCompressionLevel } from './gzip.js';

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

/** zlib's output buffer for one member: few thread-pool round trips per member. */
const MEMBER_CHUNK_BYTES = 256 * 1024;

export interface MemberGzipOptions {
  level: number;
  /** Members compressed at once (default: the number of CPUs). Does not change the output. */
  parallelism?: number;
  /** Default {@link GZIP_MEMBER_BYTES}; a test may use a smaller one. */
  memberBytes?: number;
}

/**
 * A gzip compressor that cuts its input into fixed-size pieces and compresses each as its own
 * gzip member, several at once on libuv's thread pool, emitting them in order. A file of
 * concatenated members is one valid gzip stream (RFC 1952, 2.2) that every client decompresses
 * whole, so one large layer is compressed on every core instead of one. Memory is bounded by
 * `parallelism` pieces in flight plus the one being filled.
 */
export class MemberGzip extends Transform {
  private readonly level: number;
  private readonly parallelism: number;
  private readonly memberBytes: number;
  /** The input of the member being gathered, and its length. */
  private pieces: Buffer[] = [];
  private filled = 0;
  /** Members being compressed or waiting for an earlier one, in output order. */
  private readonly queue: Member[] = [];
  /** Wakes the producer when a member has left the queue. */
  private wake: (() => void) | null = null;
  /** Whether any member was started: an empty input still yields one (empty) member. */
  private started = false;
  private failed: Error | null = null;

  constructor(options: MemberGzipOptions) {
    super();
    this.level = validateCompressionLevel(options.level);
    this.parallelism = Math.max(1, options.parallelism ?? availableParallelism());
    this.memberBytes = options.memberBytes ?? GZIP_MEMBER_BYTES;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accept(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.filled > 0 || !this.started) this.startMember();
    this.waitUntil(0).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Compressions already on the pool finish there; their output is dropped.
    this.queue.length = 0;
    this.failed ??= error ?? new Error('gzip stream destroyed');
    this.wakeProducer();
    callback(error);
  }

  private async accept(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      const take = Math.min(rest.length, this.memberBytes - this.filled);
      // Upstream chunks are not reused after they are passed on, so keeping them is safe.
      this.pieces.push(take === rest.length ? rest : rest.subarray(0, take));
      this.filled += take;
      rest = rest.subarray(take);
      if (this.filled === this.memberBytes) {
        this.startMember();
        // Bounded memory: at most `parallelism` members wait or compress at once.
        await this.waitUntil(this.parallelism - 1);
      }
    }
  }

  /** Resolves once at most `pending` members are queued. */
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
    const input = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.filled);
    this.pieces = [];
    this.filled = 0;
    const member: Member = { output: null };
    this.queue.push(member);
    this.started = true;
    gzip(input, { level: this.level, chunkSize: MEMBER_CHUNK_BYTES }, (error, output) => {
      if (error) {
        this.destroy(error);
        return;
      }
      member.output = pinGzipHeader(output);
      this.pushFinished();
    });
  }

  /** Emits finished members from the head of the queue, keeping their order. */
  private pushFinished(): void {
    while (this.queue.length > 0 && this.queue[0]!.output !== null) {
      this.push(this.queue.shift()!.output);
    }
    this.wakeProducer();
  }
}

interface Member {
  output: Buffer | null;
}

/** The layer compressor: gzip members compressed in parallel (see {@link MemberGzip}). */
export function createMemberGzip(level: number, parallelism?: number): Transform {
  return new MemberGzip({ level, ...(parallelism !== undefined ? { parallelism } : {}) });
}
