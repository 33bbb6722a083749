export { ConfigError, ImageNameError, RequestError, type RequestErrorReason, TagError } from './errors.js';
export {
  type Arch,
  forPlatform,
  type ImageRequest,
  MAX_COMPONENT_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PACKAGES,
  type NixSystem,
  namesPlatform,
  parseImageName,
} from './image-name.js';
export {
  defaultPlatform,
  hostPlatform,
  type Platform,
  PlatformError,
  parsePlatform,
  parsePlatformList,
  platformName,
  platformOfArch,
} from './platform.js';
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
