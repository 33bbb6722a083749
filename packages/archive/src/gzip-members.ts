import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { validateCompressionLevel } from './gzip.js';
import { compressMemberInWorker, memberBuffer } from './gzip-pool.js';
import { noteDroppedBytes } from './memory-relief.js';

/**
 * Uncompressed bytes per gzip member. Members are cut at these fixed offsets of the tar, so the
 * output depends only on the tar and the level, never on the core count or on how the tar was
 * chunked. 1 MiB keeps the ratio within about 0.1 % of one stream (each member starts without
 * deflate's 32 KiB window) and gives a 300 MB layer hundreds of members to spread over the cores.
 */
export const GZIP_MEMBER_BYTES = 1024 * 1024;

/**
 * Names the layout of compressed layers. Their bytes (and digests) changed when layers became
 * members, and again when incompressible blocks became stored blocks (member-deflate.ts), so a
 * layer cache keyed by contents must include this to keep older blobs apart.
 */
export const LAYER_GZIP_FORMAT = 'gzip-members-1m-stored-64k';

export interface MemberGzipOptions {
  level: number;
  /** Members compressed at once (default: the number of CPUs). Does not change the output. */
  parallelism?: number;
  /** Default {@link GZIP_MEMBER_BYTES}; a test may use a smaller one. */
  memberBytes?: number;
  /**
   * Called with each input chunk once its bytes are copied into a member, for a producer that
   * reuses its buffers (the packing worker): a chunk handed back this way is never kept alive
   * here, so it costs no memory until the next garbage collection.
   */
  recycle?: (chunk: Buffer) => void;
}

/**
 * A gzip compressor that cuts its input at fixed offsets and compresses each piece as its own
 * gzip member ({@link compressMember}) in the compression workers, several at once, emitting
 * them in order. A file of concatenated members is one valid gzip stream (RFC 1952, 2.2) that
 * every client decompresses whole, so one large layer is compressed on every core instead of
 * one. Memory is bounded by `parallelism` members in flight, whose input buffers are reused.
 */
export class MemberGzip extends Transform {
  private readonly level: number;
  private readonly parallelism: number;
  private readonly memberBytes: number;
  /** Members being compressed, in output order. */
  private readonly queue: Member[] = [];
  /** The buffer taking the next member's input, and how much of it is filled. */
  private current: Buffer | null = null;
  private filled = 0;
  /** Wakes the producer when a member has finished. */
  private wake: (() => void) | null = null;
  private failed: Error | null = null;
  /** Whether any input arrived (a member was started). */
  private started = false;
  private readonly recycle: ((chunk: Buffer) => void) | undefined;

  constructor(options: MemberGzipOptions) {
    super();
    this.level = validateCompressionLevel(options.level);
    this.parallelism = Math.max(1, options.parallelism ?? availableParallelism());
    this.memberBytes = options.memberBytes ?? GZIP_MEMBER_BYTES;
    this.recycle = options.recycle;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accept(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.started) {
      // An empty input still gets one (empty) member: a gzip file is at least one member.
      this.startMember();
    }
    this.endMember();
    this.waitUntil(0).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Members still in a worker finish there; their output is dropped.
    this.failed ??= error ?? new Error('gzip stream destroyed');
    this.queue.length = 0;
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
      rest.copy(this.current!, this.filled, 0, take);
      this.filled += take;
      rest = rest.subarray(take);
      if (this.filled === this.memberBytes) this.endMember();
    }
    this.recycle?.(chunk);
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
    this.current = memberBuffer(this.memberBytes);
    this.filled = 0;
    this.started = true;
  }

  /** Hands the filled buffer to a worker; its member is emitted when those before it are. */
  private endMember(): void {
    if (this.current === null) return;
    const member: Member = { output: null };
    this.queue.push(member);
    compressMemberInWorker(this.current, this.filled, this.level).then(
      (output) => {
        member.output = output;
        this.pushFinished();
      },
      (error: Error) => this.destroy(error),
    );
    this.current = null;
  }

  /** Emits finished members from the head of the queue, in order. */
  private pushFinished(): void {
    while (this.queue[0]?.output) {
      const output = this.queue.shift()!.output!;
      this.push(output);
      // Written and dropped downstream soon: counted here, where the bytes are known.
      noteDroppedBytes(output.length);
    }
    this.wakeProducer();
  }
}

interface Member {
  /** The compressed member, once its worker is done. */
  output: Buffer | null;
}

/** The layer compressor: gzip members compressed in parallel (see {@link MemberGzip}). */
export function createMemberGzip(level: number, parallelism?: number): Transform {
  return new MemberGzip({ level, ...(parallelism !== undefined ? { parallelism } : {}) });
}
