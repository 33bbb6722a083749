export { buildImageClosure, IMAGE_NIX_PATH } from './build-image-closure.js';
export { isUnsupportedSystem, parseUnknownPackages } from './classify.js';
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
export { parsePathInfoJson } from './path-info.js';
export { LOG_TAIL_LINES } from './run-nix.js';
export type {
  BuildRequest,
  ImagePackage,
  NixOptions,
  NixResult,
  PathInfo,
  RuntimeGraphJson,
} from './types.js';
