export { type BuilderEvent, ImageBuilder, type ImageBuilderOptions } from './builder.js';
export { ImageError, type ImageFailureReason, type RegistryErrorCode } from './errors.js';
export { imageGroupingGraph } from './grouping-graph.js';
export {
  type BuildTimings,
  type ImageRecord,
  type LayerRecord,
  type ManifestRef,
  manifestObjectKey,
} from './image-record.js';
export { imageErrorFromNix } from './nix-failure.js';
