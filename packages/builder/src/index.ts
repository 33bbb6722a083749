export { type BuilderEvent, ImageBuilder, type ImageBuilderOptions } from './builder.js';
export { ImageError, type ImageFailureReason } from './errors.js';
export { imageGroupingGraph } from './grouping-graph.js';
export {
  type BuildTimings,
  type ImageRecord,
  type LayerRecord,
  type ManifestRef,
  manifestObjectKey,
  referrersObjectKey,
} from './image-record.js';
export { imageErrorFromNix } from './nix-failure.js';
export {
  type ClosureRun,
  type GroupingSettings,
  groupImageLayers,
  type ImageClosure,
  type ImagePlan,
  imageClosure,
  type NixSettings,
  type PlanOptions,
  planImage,
  planLayers,
  type ResolvedImage,
  resolveImage,
  runImageNix,
} from './pipeline.js';
export { type ImageIndexRecord, type OmittedPlatform, platformCannotBuild } from './platform-images.js';
export { type BuildInfo, type BuildObserver, type BuildStage, describeStage } from './progress.js';
