export {
  buildLayersConcurrently,
  createLimiter,
  type LayerJob,
  type Limiter,
  SMALL_LAYERS_PER_SLOT,
} from './concurrency.js';
export {
  compareBytes,
  DIRECTORY_MODE,
  EXECUTABLE_MODE,
  FILE_MODE,
  FIXED_MTIME,
  type TarEntry,
  UnsupportedFileTypeError,
} from './entries.js';
export { createLayerGzip, DEFAULT_COMPRESSION_LEVEL, GzipHeaderPin } from './gzip.js';
export {
  createMemberGzip,
  GZIP_MEMBER_BYTES,
  LAYER_GZIP_FORMAT,
  MemberGzip,
  type MemberGzipOptions,
} from './gzip-members.js';
export {
  type BuiltLayer,
  buildLayer,
  type LayerOptions,
  type LayerSource,
  type LayerTarOptions,
  layerTar,
  writeLayer,
} from './layer.js';
export { ROOT_DIRECTORY_MODE, type RootLayerOptions, rootEntries, rootTar, TMP_MODE } from './root-forest.js';
export { type BlobSink, hashingSink } from './sink.js';
export {
  DEFAULT_STORE_DIR,
  imageStorePath,
  type StorePathOptions,
  storePathEntries,
  storePathsTar,
} from './store-paths.js';
export { tarStream } from './tar-writer.js';
export {
  DEFAULT_FOREST_LIMITS,
  ForestLimitError,
  type ForestLimitReason,
  type ForestLimits,
} from './walk-limits.js';
