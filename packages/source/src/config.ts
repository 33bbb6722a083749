import { ConfigError } from './errors.js';
import { BUNDLED_PACKAGE_SET_PATH, type PackageSource, sourceFromEnv, sourceProblems } from './sources.js';

export type StorageConfig =
  | { backend: 'filesystem'; path: string }
  | {
      backend: 'gcs';
      bucket: string;
      /** Service-account key file; when set, blob requests are redirected to signed URLs. */
      credentialsFile: string | null;
    };

export interface Config {
  port: number;
  source: PackageSource;
  /** True when no source variable is set and the bundled demo package set is served. */
  bundledSource: boolean;
  storage: StorageConfig;
  nixTimeoutSeconds: number;
  popularityUrl: string | null;
  /** Grouped layers per image (the root layer comes on top); Docker allows 125 layers in all. */
  layerBudget: number;
  /**
   * `--option substituters <value>` for Nix; null keeps Nix's own configuration. Defaults to ''
   * (no binary cache) for the bundled set, which is built offline anyway.
   */
  nixSubstituters: string | null;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_NIX_TIMEOUT_SECONDS = 60;
export const DEFAULT_LAYER_BUDGET = 94;
export const MAX_LAYER_BUDGET = 124;

type Env = Record<string, string | undefined>;

/**
 * Reads Nixery's environment variables (plus NIXERY_LAYER_BUDGET and NIXERY_NIX_SUBSTITUTERS).
 * Throws one ConfigError that lists every mistake, so a misconfigured server is fixed in one go.
 */
export function loadConfig(env: Env, options: { bundledPath?: string } = {}): Config {
  const problems: string[] = [...sourceProblems(env)];

  const port = integerSetting(env, 'PORT', DEFAULT_PORT, 0, 65535, problems);
  const nixTimeoutSeconds = integerSetting(
    env,
    'NIX_TIMEOUT',
    DEFAULT_NIX_TIMEOUT_SECONDS,
    1,
    86_400,
    problems,
  );
  const layerBudget = integerSetting(
    env,
    'NIXERY_LAYER_BUDGET',
    DEFAULT_LAYER_BUDGET,
    1,
    MAX_LAYER_BUDGET,
    problems,
  );
  const storage = storageSetting(env, problems);
  const popularityUrl = urlSetting(env, 'NIX_POPULARITY_URL', problems);

  if (problems.length > 0) throw new ConfigError(problems);

  const source = sourceFromEnv(env, options.bundledPath ?? BUNDLED_PACKAGE_SET_PATH);
  const bundledSource = !['NIXERY_CHANNEL', 'NIXERY_PKGS_REPO', 'NIXERY_PKGS_PATH'].some((v) =>
    value(env, v),
  );
  const substituters = env.NIXERY_NIX_SUBSTITUTERS;
  return {
    port,
    source,
    bundledSource,
    storage: storage as StorageConfig,
    nixTimeoutSeconds,
    popularityUrl,
    layerBudget,
    nixSubstituters: substituters !== undefined ? substituters : bundledSource ? '' : null,
  };
}

function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function integerSetting(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
) {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
    return fallback;
  }
  return Number(raw);
}

function storageSetting(env: Env, problems: string[]): StorageConfig | null {
  const backend = value(env, 'NIXERY_STORAGE_BACKEND') ?? 'filesystem';
  if (backend === 'filesystem') {
    const path = value(env, 'STORAGE_PATH');
    if (path === undefined) {
      problems.push('STORAGE_PATH must be set to a directory when NIXERY_STORAGE_BACKEND is filesystem');
      return null;
    }
    return { backend, path };
  }
  if (backend === 'gcs') {
    const bucket = value(env, 'GCS_BUCKET');
    if (bucket === undefined) {
      problems.push('GCS_BUCKET must be set when NIXERY_STORAGE_BACKEND is gcs');
      return null;
    }
    return { backend, bucket, credentialsFile: value(env, 'GOOGLE_APPLICATION_CREDENTIALS') ?? null };
  }
  problems.push(`NIXERY_STORAGE_BACKEND=${JSON.stringify(backend)} must be 'filesystem' or 'gcs'`);
  return null;
}

function urlSetting(env: Env, name: string, problems: string[]): string | null {
  const raw = value(env, name);
  if (raw === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (url === null || !['http:', 'https:', 'file:'].includes(url.protocol)) {
    problems.push(`${name}=${JSON.stringify(raw)} must be an http(s) or file URL`);
    return null;
  }
  return raw;
}
