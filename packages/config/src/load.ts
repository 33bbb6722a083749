import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { GroupingStrategyName } from '@nixery/layers';
import {
  BUNDLED_PACKAGE_SET_PATH,
  BUNDLED_POPULARITY_URL,
  ConfigError,
  hostPlatform,
  type PackageSource,
  type Platform,
  PlatformError,
  parsePlatformList,
  SOURCE_VARIABLES,
  sourceFromEnv,
  sourceProblems,
} from '@nixery/source';
import { type AuthConfig, authSetting } from './auth.js';
import { type NixFleetConfig, nixFleetSetting } from './nix-fleet.js';
import { type StorageConfig, storageSetting } from './storage.js';
import { SETTINGS, type SettingName, settingList } from './table.js';
import {
  choiceSetting,
  durationSetting,
  type Env,
  integerSetting,
  switchSetting,
  urlSetting,
  value,
} from './values.js';

export interface Config {
  port: number;
  source: PackageSource;
  /** True when no source variable is set and the bundled demo package set is served. */
  bundledSource: boolean;
  storage: StorageConfig;
  nixTimeoutSeconds: number;
  /**
   * How long an image built from an unpinned source (a branch, a local package set) is served
   * before Nix is asked again (NIXERY_UNPINNED_TTL); 0 asks on every manifest request.
   */
  unpinnedTtlSeconds: number;
  popularityUrl: string | null;
  /** Grouped layers per image (the root layer comes on top); Docker allows 125 layers in all. */
  layerBudget: number;
  /** How store paths are grouped into layers (NIXERY_LAYER_STRATEGY; `nixery` gives Nixery's grouping). */
  layerStrategy: GroupingStrategyName;
  /** gzip level of the layers (NIXERY_GZIP_LEVEL): on real binaries 1 compresses about twice as fast, 6 smaller. */
  gzipLevel: number;
  /**
   * `--option substituters <value>` for Nix; null keeps Nix's own configuration. Defaults to ''
   * (no binary cache) for the bundled set, which is built offline anyway.
   */
  nixSubstituters: string | null;
  /** Remote builders and binary-cache keys (NIXERY_NIX_BUILDERS, NIXERY_TRUSTED_PUBLIC_KEYS). */
  nixFleet: NixFleetConfig;
  auth: AuthConfig | null;
  /** Parent of the per-build GC-root folders (NIXERY_GCROOTS_DIR, absolute); null: @nixery/nix's default. */
  gcRootsDir: string | null;
  /** How long one Nix evaluation may take (NIXERY_EVAL_TIMEOUT); NIX_TIMEOUT bounds each build. */
  evaluationTimeoutSeconds: number;
  /** nixpkgs' `config.allowUnfree` (NIXERY_ALLOW_UNFREE=1/true): otherwise unfree packages are refused. */
  allowUnfree: boolean;
  /** At most this many Nix evaluations at once (NIXERY_EVAL_CONCURRENCY; default: the core count). */
  evaluationConcurrency: number;
  /**
   * The platforms served (NIXERY_PLATFORMS), never empty; default the host's. With two or more,
   * clients that accept an image index get one.
   */
  platforms: Platform[];
  /** Nix's `extra-platforms` (NIXERY_NIX_EXTRA_PLATFORMS); null keeps Nix's own configuration. */
  nixExtraPlatforms: string[] | null;
  /** Image builds at once (NIXERY_MAX_BUILDS; default: the core count); the registry's admission gate. */
  maxBuilds: number;
  /** Builds that may wait for a place (NIXERY_BUILD_QUEUE); more get 429. */
  buildQueue: number;
  /** On SIGTERM, how long builds in flight may finish (NIXERY_SHUTDOWN_TIMEOUT). */
  shutdownTimeoutSeconds: number;
  gc: GcConfig;
}

/** Garbage collection (`nixery gc`, and the server's periodic run). */
export interface GcConfig {
  /** Images not served nor built for this long are dropped (NIXERY_GC_RETENTION). */
  retentionMs: number;
  /** Nothing younger than this is deleted (NIXERY_GC_GRACE). */
  graceMs: number;
  /** The server collects this often (NIXERY_GC_INTERVAL); null: never. */
  intervalMs: number | null;
}

/** Flag values by setting name, as commander parses them; undefined leaves the variable alone. */
export type SettingFlags = Partial<Record<SettingName, string | boolean | undefined>>;

export interface LoadOptions {
  env: Env;
  /** Override the environment: a flag wins over its variable. */
  flags?: SettingFlags;
  /** The package set served when no source variable is set (default: the bundled demo set). */
  bundledPath?: string;
}

/** The environment with each given flag written into the variable it stands for. */
export function applyFlags(env: Env, flags: SettingFlags = {}): Env {
  const merged: Env = { ...env };
  for (const [name, spec] of settingList()) {
    const flag = flags[name];
    if (flag === undefined || flag === false) continue;
    merged[spec.env] = flag === true ? '1' : flag;
  }
  return merged;
}

/**
 * Reads every setting of the table from the environment (and flags, which win). Throws one
 * ConfigError that lists every mistake, so a misconfigured server is fixed in one go.
 */
export function loadConfig(options: LoadOptions): Config {
  const env = applyFlags(options.env, options.flags);
  const problems: string[] = [...sourceProblems(env)];

  const port = integerSetting(env, 'port', problems);
  const nixTimeoutSeconds = integerSetting(env, 'nixTimeout', problems);
  const unpinnedTtlSeconds = integerSetting(env, 'unpinnedTtl', problems);
  const layerBudget = integerSetting(env, 'layerBudget', problems);
  const layerStrategy = choiceSetting(
    env,
    'strategy',
    SETTINGS.strategy.choices,
    problems,
    'a layer grouping strategy',
  );
  const gzipLevel = integerSetting(env, 'gzipLevel', problems);
  const storage = storageSetting(env, problems);
  const popularityUrl = urlSetting(env, 'popularityUrl', problems);
  const auth = authSetting(env, problems);
  const evaluationTimeoutSeconds = integerSetting(env, 'evalTimeout', problems);
  const allowUnfree = switchSetting(env, 'allowUnfree', problems);
  const evaluationConcurrency = integerSetting(env, 'evalConcurrency', problems, availableParallelism());
  const nixFleet = nixFleetSetting(env, problems);
  const gc = gcSetting(env, problems, (nixTimeoutSeconds + evaluationTimeoutSeconds) * 1000);
  const platforms = platformsSetting(env, problems);
  const extraPlatforms = nixSystemsSetting(env, problems);
  const maxBuilds = integerSetting(env, 'maxBuilds', problems, availableParallelism());
  const buildQueue = integerSetting(env, 'buildQueue', problems);
  const shutdownTimeoutSeconds = integerSetting(env, 'shutdownTimeout', problems);

  if (problems.length > 0) throw new ConfigError(problems);

  const source = sourceFromEnv(env, options.bundledPath ?? BUNDLED_PACKAGE_SET_PATH);
  const bundledSource = !SOURCE_VARIABLES.some((variable) => {
    const set = env[variable];
    return set !== undefined && set.trim() !== '';
  });
  const substituters = env[SETTINGS.substituters.env];
  const gcRootsDir = value(env, 'gcrootsDir');
  return {
    port,
    source,
    bundledSource,
    storage: storage as StorageConfig,
    nixTimeoutSeconds,
    unpinnedTtlSeconds,
    popularityUrl: popularityUrl ?? (bundledSource && !options.bundledPath ? BUNDLED_POPULARITY_URL : null),
    layerBudget,
    layerStrategy,
    gzipLevel,
    nixSubstituters: substituters !== undefined ? substituters : bundledSource ? '' : null,
    nixFleet,
    auth,
    gcRootsDir: gcRootsDir === undefined ? null : resolve(gcRootsDir),
    evaluationTimeoutSeconds,
    allowUnfree,
    evaluationConcurrency,
    gc,
    platforms,
    nixExtraPlatforms: extraPlatforms ?? bundledExtraPlatforms(bundledSource, platforms),
    maxBuilds,
    buildQueue,
    shutdownTimeoutSeconds,
  };
}

/** Only the GC settings (for `nixery gc`), checked against the build limits as `serve` checks them. */
export function loadGcConfig(options: { env: Env; flags?: SettingFlags }): GcConfig {
  const env = applyFlags(options.env, options.flags);
  const problems: string[] = [];
  const buildSeconds =
    integerSetting(env, 'nixTimeout', problems) + integerSetting(env, 'evalTimeout', problems);
  const gc = gcSetting(env, problems, buildSeconds * 1000);
  if (problems.length > 0) throw new ConfigError(problems);
  return gc;
}

/**
 * The GC settings. The grace must outlast a build (evaluation and Nix limits), or gc could take
 * the layers of a build still writing them; `buildMs` is that bound.
 */
function gcSetting(env: Env, problems: string[], buildMs: number): GcConfig {
  const retentionMs = durationSetting(env, 'gcRetention', problems) as number;
  const graceMs = durationSetting(env, 'gcGrace', problems) as number;
  const interval = durationSetting(env, 'gcInterval', problems);
  if (graceMs < buildMs) {
    problems.push(
      `${SETTINGS.gcGrace.env} must be at least ${buildMs / 1000} s (${SETTINGS.nixTimeout.env} + ${SETTINGS.evalTimeout.env}), longer than any build`,
    );
  }
  if (retentionMs < graceMs) {
    problems.push(`${SETTINGS.gcRetention.env} must not be shorter than ${SETTINGS.gcGrace.env}`);
  }
  return { retentionMs, graceMs, intervalMs: interval === null || interval === 0 ? null : interval };
}

/** NIXERY_PLATFORMS, or the host's platform (linux/amd64 where the host is none we build for). */
function platformsSetting(env: Env, problems: string[]): Platform[] {
  const fallback = [hostPlatform() ?? parsePlatformList('linux/amd64')[0]] as Platform[];
  const raw = value(env, 'platforms');
  if (raw === undefined) return fallback;
  try {
    return parsePlatformList(raw);
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    problems.push(`${SETTINGS.platforms.env}: ${error.message}`);
    return fallback;
  }
}

/** A list of Nix system names (`aarch64-linux riscv64-linux`, commas or spaces between them). */
function nixSystemsSetting(env: Env, problems: string[]): string[] | null {
  const raw = value(env, 'extraPlatforms');
  if (raw === undefined) return null;
  const systems = raw.split(/[\s,]+/).filter((s) => s !== '');
  const bad = systems.filter((s) => !/^[a-z0-9_]+-[a-z0-9_]+$/.test(s));
  if (bad.length > 0) {
    problems.push(
      `${SETTINGS.extraPlatforms.env}=${JSON.stringify(raw)} must list Nix systems such as aarch64-linux (not ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
    );
    return null;
  }
  return systems;
}

/**
 * The bundled set's arm64 stand-ins are built by the host's shell, so Nix may always build them:
 * serving linux/arm64 from it needs no Nix configuration. Other sets build real aarch64
 * binaries, which need an emulator or a builder the operator sets up.
 */
function bundledExtraPlatforms(bundled: boolean, platforms: Platform[]): string[] | null {
  const host = hostPlatform();
  if (!bundled || host?.architecture !== 'amd64') return null;
  return platforms.some((p) => p.architecture === 'arm64') ? ['aarch64-linux'] : null;
}

/**
 * Only the storage settings (for tools that read a server's storage, like `nixery verify`),
 * with the CLI's default folder when STORAGE_PATH is unset.
 */
export function loadStorageConfig(options: { env: Env; flags?: SettingFlags }): StorageConfig {
  const env = withCliStoragePath(applyFlags(options.env, options.flags));
  const problems: string[] = [];
  const storage = storageSetting(env, problems);
  if (storage === null || problems.length > 0) throw new ConfigError(problems);
  return storage;
}

/** STORAGE_PATH defaults to ./var/storage (absolute) for the CLI when the filesystem backend is used. */
export function withCliStoragePath(env: Env): Env {
  if (value(env, 'storagePath') !== undefined) return env;
  if ((value(env, 'storageBackend') ?? SETTINGS.storageBackend.default) !== 'filesystem') return env;
  return { ...env, [SETTINGS.storagePath.env]: resolve(SETTINGS.storagePath.default) };
}
