export { canonicalJson, canonicalJsonBytes } from './canonical-json.js';
export { assertDigest, ManifestError } from './errors.js';
export {
  ARCHITECTURES,
  type Architecture,
  buildImageConfig,
  IMAGE_CREATED,
  type ImageConfig,
  type ImageConfigInput,
  parseImageConfig,
  serialiseImageConfig,
} from './image-config.js';
export { CA_BUNDLE, IMAGE_PATH, type ImageEnv, type ImageEnvInput, imageEnv } from './image-env.js';
export {
  type BuiltIndex,
  buildImageIndex,
  formatOfIndexType,
  INDEX_MEDIA_TYPES,
  type IndexEntryInput,
  type IndexJson,
  type IndexPlatform,
  parseImageIndex,
} from './image-index.js';
export {
  type Blob,
  type BuiltManifest,
  buildManifest,
  buildManifests,
  type LayerDescriptorInput,
  type ManifestJson,
  parseManifest,
} from './manifest.js';
export {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  type FormatMediaTypes,
  formatOfManifestType,
  type ManifestFormat,
  MEDIA_TYPES,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
} from './media-types.js';
export { negotiateIndexFormat, negotiateManifestFormat, parseAccept } from './negotiate.js';
