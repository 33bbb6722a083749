/**
 * `bytes` as an ArrayBuffer of their own, to transfer to another thread: the buffer's own
 * ArrayBuffer when it spans it whole (no copy), else a copy (a slice of a shared pool must not
 * move: it would take other buffers' bytes with it).
 */
export function transferableBytes(bytes: Buffer): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (
    whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  ) as ArrayBuffer;
}
