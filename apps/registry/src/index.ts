export { createRegistryApp, type RegistryAppDeps } from './app.js';
export { type AccessControl, type AccessControlOptions, createAccessControl } from './auth.js';
export { RegistryError, sendRegistryError } from './errors.js';
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
export { VERSION } from './version.js';
