export { type BuildPlan, buildImageClosure, buildPlannedClosure } from './build-image-closure.js';
export { type NixBuildProgress, NixBuildProgressParser } from './build-progress.js';
export { checkPackageSet, type PackageSetCheck } from './check-package-set.js';
export { isUnsupportedSystem, parseUnknownPackages } from './classify.js';
export { IMAGE_NIX_PATH, LIST_ATTRIBUTES_NIX_PATH, PROBE_NIX_PATH } from './expressions.js';
export {
  closureBytes,
  createGcRootFolder,
  defaultGcRootsParent,
  type GcRootFolder,
  type GcRootFolderState,
  type GcRootOwner,
  listGcRootFolders,
  removeStaleGcRootFolders,
} from './gc-roots.js';
export { type AttributeListing, hostSystem, listPackageSetAttributes } from './list-attributes.js';
export {
  causeFirst,
  errorBlocks,
  errorSummary,
  failedDerivation,
  type Refusal,
  refusalOf,
} from './nix-errors.js';
export {
  DEFAULT_BUILD_TIMEOUT_SECONDS,
  DEFAULT_EVALUATION_TIMEOUT_SECONDS,
  type NixStep,
} from './nix-session.js';
export { parsePathInfoJson } from './path-info.js';
export type { ImagePlan, PlannedDerivation, PlannedPackage, UnplannedPackage } from './plan.js';
export { type NameResolution, planImage, resolveNames } from './plan-image.js';
export { LOG_TAIL_LINES, pureNixEnv } from './run-nix.js';
export { storePathsValid } from './store-validity.js';
export type {
  BuildRequest,
  ImagePackage,
  NixFailure,
  NixOptions,
  NixResult,
  PackageProblem,
  PathInfo,
  RuntimeGraphJson,
} from './types.js';
