export { buildImageClosure, IMAGE_NIX_PATH } from './build-image-closure.js';
export { checkPackageSet, type PackageSetCheck, PROBE_NIX_PATH } from './check-package-set.js';
export { isUnsupportedSystem, parseUnknownPackages } from './classify.js';
export { createLimit } from './limit.js';
export {
  causeFirst,
  errorBlocks,
  errorSummary,
  failedDerivation,
  type Refusal,
  refusalOf,
} from './nix-errors.js';
export { parsePathInfoJson } from './path-info.js';
export { LOG_TAIL_LINES, pureNixEnv } from './run-nix.js';
export type {
  BuildRequest,
  ImagePackage,
  NixOptions,
  NixResult,
  PackageProblem,
  PathInfo,
  RuntimeGraphJson,
} from './types.js';
