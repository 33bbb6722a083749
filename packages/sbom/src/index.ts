// @nixery/sbom: an SPDX 2.3 SBOM of an image's Nix closure, and the OCI 1.1 referrer that carries it.
export { SbomError } from './errors.js';
export { narHashHex } from './nar-hash.js';
export {
  type ArtifactManifest,
  buildArtifactManifest,
  buildReferrersIndex,
  type Descriptor,
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  type ReferrerDescriptor,
} from './referrers.js';
export { describeSource, type SbomSource } from './source.js';
export {
  buildSpdxDocument,
  type SbomDocument,
  type SbomInput,
  type SbomPath,
  SPDX_MEDIA_TYPE,
  type SpdxDocument,
  type SpdxPackage,
  type SpdxRelationship,
} from './spdx.js';
export { parseStorePath, type StorePathParts } from './store-path.js';
