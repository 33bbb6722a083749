export { DigestFormatError, digestHex, formatDigest, isDigest } from './format.js';
export {
  assertSummary,
  BlobMismatchError,
  type BlobSummary,
  DigestAccumulator,
  DigestStream,
  digestOfFile,
  digestOfStream,
  sha256Digest,
  sha256Hex,
} from './hash.js';
