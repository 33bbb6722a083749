export { ConfigError, ImageNameError, RequestError, type RequestErrorReason, TagError } from './errors.js';
export {
  type Arch,
  type ImageRequest,
  MAX_COMPONENT_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PACKAGES,
  type NixSystem,
  parseImageName,
} from './image-name.js';
export {
  BUNDLED_PACKAGE_SET_PATH,
  BUNDLED_POPULARITY_URL,
  isCommit,
  isValidChannel,
  manifestCacheKey,
  type PackageSource,
  type ResolvedSource,
  resolveSourceForTag,
  SOURCE_VARIABLES,
  sourceFromEnv,
  sourceProblems,
} from './sources.js';
export { isValidTag, validateTag } from './tag.js';
