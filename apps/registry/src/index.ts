export { createRegistryApp, createRegistryHandler, type RegistryAppDeps } from './app.js';
export { type AccessControl, type AccessControlOptions, createAccessControl } from './auth.js';
export {
  FAILURE_RESPONSES,
  RegistryError,
  type RegistryErrorCode,
  type RegistryFailureReason,
  registryErrorFrom,
  sendRegistryError,
} from './errors.js';
export { RegistryMetrics } from './metrics.js';
export { loadPopularity } from './popularity.js';
export { parseRange, type RangeRequest } from './range.js';
export { isDigest, parseRegistryPath, type RegistryRoute } from './routing.js';
export {
  describeSource,
  describeStorage,
  PackageSetUnusableError,
  type RunningRegistry,
  type StartOptions,
  startRegistry,
} from './server.js';
export type { BlobStore, ImageManifests, ImageService } from './services.js';
export { VERSION } from './version.js';
