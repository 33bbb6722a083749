import {
  DEFAULT_GROUPING_OPTIONS,
  type GroupingStrategyName,
  groupLayers,
  type Layer,
  type Popularity,
  type RuntimeGraphJson,
} from '@nixery/layers';
import {
  type BuildRequest,
  buildImageClosure,
  DEFAULT_BUILD_TIMEOUT_SECONDS,
  type NixOptions,
  type NixResult,
} from '@nixery/nix';
import {
  type ImageRequest,
  type PackageSource,
  parseImageName,
  RequestError,
  type ResolvedSource,
  resolveSourceForTag,
  validateTag,
} from '@nixery/source';
import { ImageError } from './errors.js';
import { imageGroupingGraph } from './grouping-graph.js';
import { imageErrorFromNix } from './nix-failure.js';

// The image pipeline's stages that need no storage: name → request → Nix closure → layer groups.
// ImageBuilder runs them (with its caches) before writing layers and manifests; the CLI's
// `layers` and `popularity` run them directly.

/** Stage 1's result: what to build, and from which package set. */
export interface ResolvedImage {
  request: ImageRequest;
  source: ResolvedSource;
}

/** Stage 1: an image name and tag → the requested packages and the resolved package source. */
export function resolveImage(name: string, tag: string, source: PackageSource): ResolvedImage {
  try {
    const request = parseImageName(name);
    validateTag(tag);
    return { request, source: resolveSourceForTag(source, tag) };
  } catch (error) {
    // The request's own mistakes, as the ImageError every other failure is.
    if (!(error instanceof RequestError)) throw error;
    throw new ImageError(error.reason, error.message, error.reason === 'invalid-name' ? { name } : { tag });
  }
}

/** How Nix is run for an image (the server's settings). */
export interface NixSettings {
  /** NIX_TIMEOUT: each build (default 60 s). */
  nixTimeoutSeconds?: number;
  /** Passed to Nix as `substituters`; undefined keeps Nix's own configuration. */
  nixSubstituters?: string;
  /** Passed to Nix as `trusted-public-keys` (the binary caches' keys); undefined keeps Nix's. */
  nixTrustedPublicKeys?: string;
  /** Passed to Nix as `builders` (remote builders, Nix's machine format); undefined keeps Nix's. */
  nixBuilders?: string;
  /** NIXERY_EVAL_TIMEOUT: each evaluation. */
  evaluationTimeoutSeconds?: number;
  /** nixpkgs' `config.allowUnfree`. */
  allowUnfree?: boolean;
  /** Nix's `extra-platforms`: systems this machine may build besides its own; undefined keeps Nix's. */
  nixExtraPlatforms?: readonly string[];
}

/** What belongs to one run rather than to the settings. */
export type ClosureRun = Pick<
  NixOptions,
  | 'gcRootDir'
  | 'signal'
  | 'onLogLine'
  | 'evaluationSlot'
  | 'onEvaluation'
  | 'onEvaluationEnd'
  | 'onStep'
  | 'onBuildProgress'
>;

export type ImageClosure = Extract<NixResult, { ok: true }>;

/** Stage 2, as a typed result: Nix evaluates, builds and measures the packages' closure. */
export function runImageNix(
  target: BuildRequest,
  settings: NixSettings,
  run: ClosureRun = {},
): Promise<NixResult> {
  return buildImageClosure(target, nixOptions(settings, run));
}

/** The server's Nix settings and one run's hooks as @nixery/nix's options. */
export function nixOptions(settings: NixSettings, run: ClosureRun = {}): NixOptions {
  return {
    timeoutSeconds: settings.nixTimeoutSeconds ?? DEFAULT_BUILD_TIMEOUT_SECONDS,
    ...(settings.nixSubstituters !== undefined ? { substituters: settings.nixSubstituters } : {}),
    ...(settings.nixTrustedPublicKeys !== undefined
      ? { trustedPublicKeys: settings.nixTrustedPublicKeys }
      : {}),
    ...(settings.nixBuilders !== undefined ? { builders: settings.nixBuilders } : {}),
    ...(settings.evaluationTimeoutSeconds !== undefined
      ? { evaluationTimeoutSeconds: settings.evaluationTimeoutSeconds }
      : {}),
    allowUnfree: settings.allowUnfree ?? false,
    ...(settings.nixExtraPlatforms !== undefined
      ? { extraNixArgs: ['--option', 'extra-platforms', settings.nixExtraPlatforms.join(' ')] }
      : {}),
    ...definedOnly(run),
  };
}

/** Stage 2: the closure, or the failure as the ImageError the registry reports. */
export async function imageClosure(
  target: BuildRequest,
  settings: NixSettings,
  run: ClosureRun = {},
): Promise<ImageClosure> {
  const result = await runImageNix(target, settings, run);
  if (!result.ok) throw imageErrorFromNix(result);
  return result;
}

/** How store paths are grouped into layers. */
export interface GroupingSettings {
  /** Store-path-name → count; missing names count 1. */
  popularity?: Popularity;
  layerBudget?: number;
  /** undefined uses @nixery/layers' default (`stable`). */
  layerStrategy?: GroupingStrategyName;
}

/** Stage 3 on any runtime graph: its layer groups, in manifest order. */
export function groupImageLayers(graph: RuntimeGraphJson, settings: GroupingSettings): Layer[] {
  return groupLayers(graph, settings.popularity ?? {}, {
    budget: settings.layerBudget ?? DEFAULT_GROUPING_OPTIONS.budget,
    ...(settings.layerStrategy !== undefined ? { strategy: settings.layerStrategy } : {}),
  });
}

/** Stages 1–3: everything known about an image before anything is written. */
export interface ImagePlan extends ResolvedImage {
  closure: ImageClosure;
  /** The graph the layers are grouped from (the closure's, with /usr/bin/env's package on top). */
  graph: RuntimeGraphJson;
  /** The store-path layers in manifest order (the root layer is made from `closure.packages`). */
  layers: Layer[];
}

/** Stage 3 for an image: the closure grouped, its /usr/bin/env package counted as requested. */
export function planLayers(
  image: ResolvedImage,
  closure: ImageClosure,
  settings: GroupingSettings,
): ImagePlan {
  const graph = imageGroupingGraph(closure.graph, closure.envPath);
  return { ...image, closure, graph, layers: groupImageLayers(graph, settings) };
}

export interface PlanOptions extends NixSettings, GroupingSettings {
  source: PackageSource;
}

/** Stages 1–3 in one call, with no storage or cache: what `nixery layers` shows. */
export async function planImage(
  name: string,
  tag: string,
  options: PlanOptions,
  run: ClosureRun = {},
): Promise<ImagePlan> {
  const image = resolveImage(name, tag, options.source);
  const { request, source } = image;
  const closure = await imageClosure(
    { packages: request.packages, system: request.system, source },
    options,
    run,
  );
  return planLayers(image, closure, options);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
