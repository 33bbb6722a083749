import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_GROUPING_OPTIONS, GROUPING_STRATEGY_NAMES, type GroupingStrategyName } from '@nixery/layers';
import { ConfigError } from './errors.js';
import {
  BUNDLED_PACKAGE_SET_PATH,
  BUNDLED_POPULARITY_URL,
  type PackageSource,
  sourceFromEnv,
  sourceProblems,
} from './sources.js';

export type StorageConfig =
  | { backend: 'filesystem'; path: string }
  | {
      backend: 'gcs';
      bucket: string;
      /** Service-account key file; when set, blob requests are redirected to signed URLs. */
      credentialsFile: string | null;
    }
  | {
      backend: 's3';
      bucket: string;
      region: string;
      /** A custom endpoint for S3-compatible services; absent for AWS itself. */
      endpoint?: string;
      forcePathStyle: boolean;
      /** Blob requests are redirected to presigned URLs (S3_USE_PRESIGNED_URLS, default true). */
      presignedUrls: boolean;
    };

/** Access control from an htpasswd file; null (no NIXERY_AUTH_FILE) keeps the registry anonymous. */
export interface AuthConfig {
  /** Absolute path of the htpasswd file. */
  file: string;
  /** Realm named in the `WWW-Authenticate: Basic realm="…"` challenge. */
  realm: string;
  /** User name → bcrypt hash, as read when the configuration was loaded. */
  users: ReadonlyMap<string, string>;
}

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
  auth: AuthConfig | null;
  /** Parent of the per-build GC-root folders (NIXERY_GCROOTS_DIR, absolute); null: @nixery/nix's default. */
  gcRootsDir: string | null;
  /** How long one Nix evaluation may take (NIXERY_EVAL_TIMEOUT); NIX_TIMEOUT bounds each build. */
  evaluationTimeoutSeconds: number;
  /** nixpkgs' `config.allowUnfree` (NIXERY_ALLOW_UNFREE=1/true): otherwise unfree packages are refused. */
  allowUnfree: boolean;
  /** At most this many Nix evaluations at once (NIXERY_EVAL_CONCURRENCY; default: the core count). */
  evaluationConcurrency: number;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_NIX_TIMEOUT_SECONDS = 60;
export const DEFAULT_EVAL_TIMEOUT_SECONDS = 300;
export const DEFAULT_UNPINNED_TTL_SECONDS = 60;
export const DEFAULT_GZIP_LEVEL = 6;
export const DEFAULT_LAYER_BUDGET = 94;
export const MAX_LAYER_BUDGET = 124;
export const DEFAULT_AUTH_REALM = 'nixery';

type Env = Record<string, string | undefined>;

/**
 * Reads Nixery's environment variables (plus NIXERY_LAYER_BUDGET, NIXERY_LAYER_STRATEGY,
 * NIXERY_GZIP_LEVEL, NIXERY_UNPINNED_TTL, NIXERY_NIX_SUBSTITUTERS, NIXERY_AUTH_FILE,
 * NIXERY_AUTH_REALM, NIXERY_GCROOTS_DIR, NIXERY_EVAL_TIMEOUT, NIXERY_ALLOW_UNFREE and
 * NIXERY_EVAL_CONCURRENCY).
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
  const unpinnedTtlSeconds = integerSetting(
    env,
    'NIXERY_UNPINNED_TTL',
    DEFAULT_UNPINNED_TTL_SECONDS,
    0,
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
  const layerStrategy = layerStrategySetting(env, problems);
  const gzipLevel = integerSetting(env, 'NIXERY_GZIP_LEVEL', DEFAULT_GZIP_LEVEL, 1, 9, problems);
  const storage = storageSetting(env, problems);
  const popularityUrl = urlSetting(env, 'NIX_POPULARITY_URL', problems);
  const auth = authSetting(env, problems);
  const evaluationTimeoutSeconds = integerSetting(
    env,
    'NIXERY_EVAL_TIMEOUT',
    DEFAULT_EVAL_TIMEOUT_SECONDS,
    1,
    86_400,
    problems,
  );
  const allowUnfree = booleanSetting(env, 'NIXERY_ALLOW_UNFREE', problems);
  const evaluationConcurrency = integerSetting(
    env,
    'NIXERY_EVAL_CONCURRENCY',
    availableParallelism(),
    1,
    256,
    problems,
  );

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
    unpinnedTtlSeconds,
    popularityUrl: popularityUrl ?? (bundledSource && !options.bundledPath ? BUNDLED_POPULARITY_URL : null),
    layerBudget,
    layerStrategy,
    gzipLevel,
    nixSubstituters: substituters !== undefined ? substituters : bundledSource ? '' : null,
    auth,
    gcRootsDir: value(env, 'NIXERY_GCROOTS_DIR') ? resolve(value(env, 'NIXERY_GCROOTS_DIR') as string) : null,
    evaluationTimeoutSeconds,
    allowUnfree,
    evaluationConcurrency,
  };
}

/** `1`/`true`/`yes` or `0`/`false`/`no` (any case); unset is false. */
function booleanSetting(env: Env, name: string, problems: string[]): boolean {
  const raw = value(env, name);
  if (raw === undefined) return false;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  problems.push(`${name}=${JSON.stringify(raw)} must be 1, true, yes, 0, false or no`);
  return false;
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

/** NIXERY_LAYER_STRATEGY: one of the grouping strategies @nixery/layers offers. */
function layerStrategySetting(env: Env, problems: string[]): GroupingStrategyName {
  const raw = value(env, 'NIXERY_LAYER_STRATEGY');
  if (raw === undefined) return DEFAULT_GROUPING_OPTIONS.strategy;
  const known = GROUPING_STRATEGY_NAMES.find((name) => name === raw);
  if (known === undefined) {
    problems.push(
      `NIXERY_LAYER_STRATEGY=${JSON.stringify(raw)} is not a layer grouping strategy; use one of ${GROUPING_STRATEGY_NAMES.map((n) => `'${n}'`).join(', ')}`,
    );
    return DEFAULT_GROUPING_OPTIONS.strategy;
  }
  return known;
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
  if (backend === 's3') return s3Setting(env, problems);
  problems.push(`NIXERY_STORAGE_BACKEND=${JSON.stringify(backend)} must be 'filesystem', 'gcs' or 's3'`);
  return null;
}

/** S3_BUCKET, AWS_REGION, S3_ENDPOINT, S3_FORCE_PATH_STYLE, S3_USE_PRESIGNED_URLS; credentials come from the SDK's chain. */
function s3Setting(env: Env, problems: string[]): StorageConfig | null {
  const before = problems.length;
  const bucket = value(env, 'S3_BUCKET');
  if (bucket === undefined) problems.push('S3_BUCKET must be set when NIXERY_STORAGE_BACKEND is s3');
  const region = value(env, 'AWS_REGION');
  if (region === undefined) {
    problems.push(
      "AWS_REGION must be set when NIXERY_STORAGE_BACKEND is s3 (any name, e.g. 'us-east-1', for other S3 services)",
    );
  }
  const endpoint = value(env, 'S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    problems.push(`S3_ENDPOINT=${JSON.stringify(endpoint)} must be an http(s) URL`);
  }
  const forcePathStyle = trueFalseSetting(env, 'S3_FORCE_PATH_STYLE', false, problems);
  const presignedUrls = trueFalseSetting(env, 'S3_USE_PRESIGNED_URLS', true, problems);
  if (problems.length > before || bucket === undefined || region === undefined) return null;
  return {
    backend: 's3',
    bucket,
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    forcePathStyle,
    presignedUrls,
  };
}

/** Exactly `true` or `false` (the S3 switches, spelled as the AWS tools spell them); unset is `fallback`. */
function trueFalseSetting(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  problems.push(`${name}=${JSON.stringify(raw)} must be true or false`);
  return fallback;
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

/** `$2a$`, `$2b$` or `$2y$` (all the same algorithm for our purpose), cost 04–31, 22+31 chars. */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const REALM = /^[\x20-\x7e]{1,128}$/;

function authSetting(env: Env, problems: string[]): AuthConfig | null {
  const file = value(env, 'NIXERY_AUTH_FILE');
  const realm = value(env, 'NIXERY_AUTH_REALM');
  if (realm !== undefined && (!REALM.test(realm) || /["\\]/.test(realm))) {
    problems.push(
      `NIXERY_AUTH_REALM=${JSON.stringify(realm)} must be 1 to 128 printable ASCII characters without quotes or backslashes`,
    );
  }
  if (file === undefined) {
    if (realm !== undefined) problems.push('NIXERY_AUTH_REALM is set but NIXERY_AUTH_FILE is not');
    return null;
  }
  const path = resolve(file);
  const users = readHtpasswd(path, problems);
  return users === null ? null : { file: path, realm: realm ?? DEFAULT_AUTH_REALM, users };
}

/**
 * Reads an htpasswd file whose entries are bcrypt hashes (`htpasswd -B`). Blank lines and lines
 * starting with `#` are skipped. Problems name the line and user, never the hash.
 */
function readHtpasswd(path: string, problems: string[]): Map<string, string> | null {
  const where = `NIXERY_AUTH_FILE ${JSON.stringify(path)}`;
  let text: string;
  try {
    if (!statSync(path).isFile()) {
      problems.push(`${where} is not a regular file`);
      return null;
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(
      code === 'ENOENT' ? `${where} does not exist` : `${where} cannot be read (${code ?? 'error'})`,
    );
    return null;
  }
  const users = new Map<string, string>();
  const before = problems.length;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `${where} line ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      problems.push(`${at} is not of the form user:hash`);
      return;
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (users.has(user)) {
      problems.push(`${at} repeats user ${JSON.stringify(user)}`);
    } else if (!BCRYPT_HASH.test(hash)) {
      problems.push(
        `${at} (user ${JSON.stringify(user)}) has ${describeHashScheme(hash)}; only bcrypt entries are accepted (write them with htpasswd -B)`,
      );
    } else {
      users.set(user, hash);
    }
  });
  if (problems.length > before) return null;
  if (users.size === 0) {
    problems.push(`${where} has no users`);
    return null;
  }
  return users;
}

function describeHashScheme(hash: string): string {
  if (hash.startsWith('$apr1$')) return 'an MD5 (apr1) hash';
  if (hash.startsWith('{SHA}')) return 'a SHA-1 hash';
  if (/^\$[156]\$/.test(hash)) return 'a crypt(3) MD5/SHA-2 hash';
  if (/^\$2[aby]?\$/.test(hash)) return 'a malformed bcrypt hash';
  return 'a plain-text or DES crypt password';
}
