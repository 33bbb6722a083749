// A compression worker: gzips one member at a time, synchronously, and hands back the member
// and the input buffer (for reuse). See gzip-pool.ts.
import { parentPort } from 'node:worker_threads';
import type { FromGzipWorker, ToGzipWorker } from './gzip-protocol.js';
import { compressMember } from './member-deflate.js';
import { noteDroppedBytes } from './memory-relief.js';
import { transferableBytes } from './transfer.js';

parentPort!.on('message', (job: ToGzipWorker) => {
  let reply: FromGzipWorker;
  const transfer: ArrayBuffer[] = [job.input];
  try {
    const member = compressMember(new Uint8Array(job.input, 0, job.length), job.level);
    const own = transferableBytes(member);
    transfer.push(own);
    reply = { id: job.id, member: own, input: job.input };
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error), input: job.input };
  }
  parentPort!.postMessage(reply, transfer);
  // zlib's output chunks and their concatenation are garbage now.
  noteDroppedBytes(2 * job.length);
});
