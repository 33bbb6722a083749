export {
  BlobNotFoundError,
  DigestMismatchError,
  InvalidArgumentError,
  InvalidDigestError,
  InvalidKeyError,
  StorageError,
} from './errors.js';
export { createStorage, type StorageConfig } from './factory.js';
export { FilesystemStorage } from './filesystem.js';
export { GcsStorage, type GcsStorageOptions } from './gcs.js';
export { assertObjectKey, blobName, digestHex } from './names.js';
export type {
  BlobStat,
  ByteRange,
  PutBlobOptions,
  PutBlobResult,
  SendBlobOptions,
  StagingSummary,
  Storage,
  StoredObject,
} from './types.js';
