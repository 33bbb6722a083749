export { BlobStore } from './blob-store.js';
export type {
  ListedObject,
  ObjectStat,
  PositionalReader,
  SmallObject,
  StorageDriver,
} from './driver.js';
export {
  type BlobReference,
  type ImageRecord,
  imageRecordReferences,
  type LayerCacheEntry,
  type LayerRecord,
  type ManifestRef,
  type ManifestReferences,
  manifestReferences,
  parseLayerCacheEntry,
  parseReferrerRecords,
  parseServedRecord,
  type ReferrerRecord,
  type ServedRecord,
} from './entries.js';
export {
  BlobNotFoundError,
  DigestMismatchError,
  InvalidArgumentError,
  InvalidDigestError,
  InvalidEntryError,
  InvalidKeyError,
  isStorageUnavailable,
  StorageError,
} from './errors.js';
export { createStorage, type StorageConfig } from './factory.js';
export { FilesystemDriver, FilesystemStorage } from './filesystem.js';
export { GcsDriver, GcsStorage, type GcsStorageOptions } from './gcs.js';
export {
  assertObjectKey,
  BLOB_PREFIX,
  blobName,
  classifyObjectKey,
  digestFromBlobName,
  isCacheKey,
  LAYER_CACHE_PREFIX,
  layerCacheObjectKey,
  MANIFEST_PREFIX,
  manifestCacheObjectKey,
  manifestObjectKey,
  NAME_OUTCOME_PREFIX,
  nameOutcomeObjectKey,
  OBJECT_PREFIXES,
  REFERRERS_PREFIX,
  referrersObjectKey,
  SERVED_PREFIX,
  STAGING_PREFIX,
  type StoredObjectKind,
  servedObjectKey,
} from './layout.js';
export { digestHex } from './names.js';
export { S3Driver, S3Storage, type S3StorageOptions } from './s3.js';
export type {
  BlobInfo,
  BlobStat,
  ByteRange,
  ObjectInfo,
  PutBlobOptions,
  PutBlobResult,
  SendBlobOptions,
  StagingInfo,
  StagingSummary,
  Storage,
  StoredObject,
} from './types.js';
export { listStoredObjects, type StoredObjects } from './walk.js';
