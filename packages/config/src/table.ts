import { DEFAULT_COMPRESSION_LEVEL } from '@nixery/archive';
import { DEFAULT_GROUPING_OPTIONS, GROUPING_STRATEGY_NAMES } from '@nixery/layers';
import { DEFAULT_BUILD_TIMEOUT_SECONDS, DEFAULT_EVALUATION_TIMEOUT_SECONDS } from '@nixery/nix';

export type SettingGroup = 'server' | 'source' | 'storage' | 'nix' | 'layers' | 'auth' | 'gc';

/**
 * One setting: the environment variable the server reads, the flag that stands for it, its
 * default and bounds, and its documentation. Help text and the README's table are made from it.
 */
export interface SettingSpec {
  env: string;
  /** Commander's flag syntax, e.g. `--port <port>`; absent for a variable with no flag. */
  flag?: string;
  /** A one-letter alias, e.g. `-p`. */
  short?: string;
  group: SettingGroup;
  /** The flag's help line; ` [ENV] (default …)` is appended. */
  doc: string;
  /** The README's "meaning" column (Markdown). */
  readme: string;
  /**
   * `integer`: a whole number from min to max; `switch`: a flag without a value (sets `1`);
   * `duration`: a time such as `30d`, `6h`, `90m`, `1h30m` (values.ts, parseDuration).
   */
  type: 'string' | 'integer' | 'switch' | 'true-false' | 'duration';
  min?: number;
  max?: number;
  default?: number | string | boolean;
  /** Said after the default in the help line. */
  note?: string;
  /** How the default reads where it is worked out at run time (the core count, a temp folder). */
  defaultText?: string;
  /** Only these values are accepted (the flag offers them as choices). */
  choices?: readonly string[];
  /** The default is applied by the CLI commands, not by the server's loader (which requires the value). */
  cliDefaultOnly?: boolean;
}

/** The auth realm when NIXERY_AUTH_REALM is unset. */
const AUTH_REALM = 'nixery';
/** Docker allows 125 layers; the root layer comes on top of the grouped ones. */
export const MAX_LAYER_BUDGET = 124;

/**
 * Every setting, keyed by the name commander gives its flag's value. Order is the order of the
 * help text and the README.
 */
export const SETTINGS = {
  port: {
    env: 'PORT',
    flag: '--port <port>',
    short: '-p',
    group: 'server',
    doc: 'port to listen on',
    readme: 'listen port',
    type: 'integer',
    min: 0,
    max: 65535,
    default: 8080,
  },
  channel: {
    env: 'NIXERY_CHANNEL',
    flag: '--channel <name|commit>',
    group: 'source',
    doc: 'a nixpkgs channel or commit',
    readme: 'a nixpkgs channel or commit (fetched as a tarball)',
    type: 'string',
  },
  pkgsRepo: {
    env: 'NIXERY_PKGS_REPO',
    flag: '--pkgs-repo <git-url>',
    group: 'source',
    doc: 'a git repository; the image tag is the ref',
    readme: 'a git repository; the image tag is the ref, a 40-hex tag a commit',
    type: 'string',
  },
  pkgsPath: {
    env: 'NIXERY_PKGS_PATH',
    flag: '--pkgs-path <dir>',
    group: 'source',
    doc: 'a local package set (default: the bundled demo set)',
    readme:
      'a local package set; only the tag `latest`. With none of the three source variables set, the bundled offline demo set is served',
    type: 'string',
  },
  storageBackend: {
    env: 'NIXERY_STORAGE_BACKEND',
    flag: '--storage-backend <filesystem|gcs|s3>',
    group: 'storage',
    doc: 'where blobs go',
    readme: '`filesystem`, `gcs` or `s3`',
    type: 'string',
    default: 'filesystem',
  },
  storagePath: {
    env: 'STORAGE_PATH',
    flag: '--storage-path <dir>',
    group: 'storage',
    doc: 'filesystem storage folder',
    readme: 'storage folder (required by the server; the default is that of `nixery serve` and `verify`)',
    type: 'string',
    default: './var/storage',
    cliDefaultOnly: true,
  },
  gcsBucket: {
    env: 'GCS_BUCKET',
    flag: '--gcs-bucket <name>',
    group: 'storage',
    doc: 'Cloud Storage bucket',
    readme: 'Cloud Storage bucket (required for `gcs`)',
    type: 'string',
  },
  googleCredentials: {
    env: 'GOOGLE_APPLICATION_CREDENTIALS',
    group: 'storage',
    doc: 'service-account key file',
    readme: 'a service-account key file: blob requests are redirected to signed URLs (valid 5 min)',
    type: 'string',
  },
  s3Bucket: {
    env: 'S3_BUCKET',
    flag: '--s3-bucket <name>',
    group: 'storage',
    doc: 'S3 bucket; credentials come from the AWS SDK chain',
    readme:
      "S3 bucket (required for `s3`); credentials come from the AWS SDK's standard chain (`AWS_ACCESS_KEY_ID`…, profiles, instance roles)",
    type: 'string',
  },
  awsRegion: {
    env: 'AWS_REGION',
    flag: '--aws-region <region>',
    group: 'storage',
    doc: 'the S3 bucket region',
    readme: "the S3 bucket's region (required for `s3`; any name, e.g. `us-east-1`, for other S3 services)",
    type: 'string',
  },
  s3Endpoint: {
    env: 'S3_ENDPOINT',
    flag: '--s3-endpoint <url>',
    group: 'storage',
    doc: 'endpoint of an S3-compatible service',
    readme: 'endpoint of an S3-compatible service (MinIO, Ceph, R2, …); unset for AWS',
    type: 'string',
  },
  s3ForcePathStyle: {
    env: 'S3_FORCE_PATH_STYLE',
    flag: '--s3-force-path-style <true|false>',
    group: 'storage',
    doc: 'path-style S3 addressing',
    readme: '`true`: `endpoint/bucket/key` addressing, which most non-AWS services need',
    type: 'true-false',
    default: false,
  },
  s3UsePresignedUrls: {
    env: 'S3_USE_PRESIGNED_URLS',
    flag: '--s3-use-presigned-urls <true|false>',
    group: 'storage',
    doc: 'redirect blob requests to presigned URLs, else stream them',
    readme:
      '`true`: blobs are served by a redirect to a presigned URL valid 5 min; `false`: streamed through the server',
    type: 'true-false',
    default: true,
  },
  nixTimeout: {
    env: 'NIX_TIMEOUT',
    flag: '--nix-timeout <seconds>',
    group: 'nix',
    doc: 'limit for each build, enforced by Nix',
    readme:
      "seconds one build may run, or stay silent (Nix's `--timeout` / `--max-silent-time`, as Nixery; downloads are not cut off)",
    type: 'integer',
    min: 1,
    max: 86_400,
    default: DEFAULT_BUILD_TIMEOUT_SECONDS,
  },
  evalTimeout: {
    env: 'NIXERY_EVAL_TIMEOUT',
    flag: '--eval-timeout <seconds>',
    group: 'nix',
    doc: 'limit for each evaluation',
    readme: 'seconds one evaluation of the package set may take',
    type: 'integer',
    min: 1,
    max: 86_400,
    default: DEFAULT_EVALUATION_TIMEOUT_SECONDS,
  },
  platforms: {
    env: 'NIXERY_PLATFORMS',
    flag: '--platforms <list>',
    group: 'server',
    doc: 'platforms served, e.g. linux/amd64,linux/arm64',
    readme:
      "the platforms served, e.g. `linux/amd64,linux/arm64` (known: `linux/amd64`, `linux/arm64`, `linux/riscv64`). With two or more, a client that accepts an image index gets one (a platform Nix cannot build is left out with a warning); others get the host's image. A leading `arm64` in the name still means arm64 only",
    type: 'string',
    defaultText: "the host's",
  },
  unpinnedTtl: {
    env: 'NIXERY_UNPINNED_TTL',
    flag: '--unpinned-ttl <seconds>',
    group: 'server',
    doc: 'serve an image of a branch or local package set this long before asking Nix again',
    readme:
      'seconds an image of a branch, channel name or local set is served before Nix is asked again (0: every request)',
    type: 'integer',
    min: 0,
    max: 86_400,
    default: 60,
  },
  popularityUrl: {
    env: 'NIX_POPULARITY_URL',
    flag: '--popularity-url <url>',
    group: 'layers',
    doc: 'popularity data, http(s) or file URL',
    readme: 'popularity data (http(s) or file URL); the bundled set ships its own',
    type: 'string',
  },
  layerBudget: {
    env: 'NIXERY_LAYER_BUDGET',
    flag: '--layer-budget <n>',
    group: 'layers',
    doc: `grouped layers per image, 1 to ${MAX_LAYER_BUDGET}`,
    readme: 'grouped layers per image (the root layer comes on top)',
    type: 'integer',
    min: 1,
    max: MAX_LAYER_BUDGET,
    default: DEFAULT_GROUPING_OPTIONS.budget,
  },
  strategy: {
    env: 'NIXERY_LAYER_STRATEGY',
    flag: '--strategy <name>',
    group: 'layers',
    doc: 'layer grouping strategy',
    note: "'nixery' is Nixery's grouping",
    readme: "how store paths are grouped into layers: `stable` or `nixery` (Nixery's grouping)",
    type: 'string',
    default: DEFAULT_GROUPING_OPTIONS.strategy,
    choices: GROUPING_STRATEGY_NAMES,
  },
  gzipLevel: {
    env: 'NIXERY_GZIP_LEVEL',
    flag: '--gzip-level <n>',
    group: 'layers',
    doc: 'gzip level of the layers, 1 (fastest) to 9',
    readme:
      'gzip level of the layers, 1–9; on real binaries zlib compresses about twice as fast at 1, for layers 8–19 % larger',
    type: 'integer',
    min: 1,
    max: 9,
    default: DEFAULT_COMPRESSION_LEVEL,
  },
  substituters: {
    env: 'NIXERY_NIX_SUBSTITUTERS',
    flag: '--substituters <urls>',
    group: 'nix',
    doc: "Nix substituters, '' for none",
    readme:
      "Nix substituters; `''` turns substitution off (the bundled set defaults to none; other sources use Nix's own configuration, so set `''` on a machine without network, or every build first spends seconds failing to reach the cache)",
    type: 'string',
  },
  extraPlatforms: {
    env: 'NIXERY_NIX_EXTRA_PLATFORMS',
    flag: '--extra-platforms <list>',
    group: 'nix',
    doc: "systems Nix may build besides the host's (Nix's extra-platforms)",
    readme:
      "Nix systems this machine may build besides its own, e.g. `aarch64-linux` (Nix's `extra-platforms`: for a machine with binfmt emulation). Unset: Nix's own configuration; with the bundled set, `aarch64-linux` whenever `linux/arm64` is served (its arm64 stand-ins are built by the host's shell)",
    type: 'string',
  },
  trustedPublicKeys: {
    env: 'NIXERY_TRUSTED_PUBLIC_KEYS',
    flag: '--trusted-public-keys <keys>',
    group: 'nix',
    doc: 'public keys of the binary caches, space-separated',
    readme:
      "public keys (`name:base64`, space-separated) whose signatures Nix accepts on paths from the substituters, e.g. a fleet's shared binary cache (Nix's `trusted-public-keys`; replaces Nix's own list); unset: Nix's own configuration",
    type: 'string',
  },
  nixBuilders: {
    env: 'NIXERY_NIX_BUILDERS',
    flag: '--nix-builders <machines>',
    group: 'nix',
    doc: "Nix remote builders in Nix's machine format, '' for none",
    readme:
      "Nix remote builders, in Nix's machine format (`ssh-ng://builder x86_64-linux /key 4; …` or `@/etc/nix/machines`; Nix's `builders`): builds go to a build farm; `''` for none; unset: Nix's own configuration",
    type: 'string',
  },
  allowUnfree: {
    env: 'NIXERY_ALLOW_UNFREE',
    flag: '--allow-unfree',
    group: 'nix',
    doc: 'let nixpkgs evaluate unfree packages',
    readme: '`1`/`true`/`yes`: nixpkgs may evaluate unfree packages (else they are refused with a 403)',
    type: 'switch',
    default: false,
  },
  evalConcurrency: {
    env: 'NIXERY_EVAL_CONCURRENCY',
    flag: '--eval-concurrency <n>',
    group: 'nix',
    doc: 'Nix evaluations at once',
    readme: 'Nix evaluations at once, over all pulls',
    type: 'integer',
    min: 1,
    max: 256,
    defaultText: 'core count',
  },
  maxBuilds: {
    env: 'NIXERY_MAX_BUILDS',
    flag: '--max-builds <n>',
    group: 'server',
    doc: 'image builds (Nix and layer writing) at once; more wait in the build queue',
    readme:
      'image builds at once, each its whole run (Nix evaluation, `nix-build`, layer writing); pulls needing no build never wait for them',
    type: 'integer',
    min: 1,
    max: 256,
    defaultText: 'core count',
  },
  buildQueue: {
    env: 'NIXERY_BUILD_QUEUE',
    flag: '--build-queue <n>',
    group: 'server',
    doc: 'builds waiting for a place; past it a pull gets 429 with Retry-After',
    readme:
      'builds that may wait for one of the `NIXERY_MAX_BUILDS` places; a pull finding the queue full gets `429 TOOMANYREQUESTS` with `Retry-After` (0: no queue)',
    type: 'integer',
    min: 0,
    max: 100_000,
    default: 32,
  },
  shutdownTimeout: {
    env: 'NIXERY_SHUTDOWN_TIMEOUT',
    flag: '--shutdown-timeout <seconds>',
    group: 'server',
    doc: 'on SIGTERM, how long builds in flight may finish before they are stopped',
    readme:
      'on SIGTERM: seconds the builds in flight may take to finish (new builds get 503, `/readyz` says 503) before they are stopped and the server exits',
    type: 'integer',
    min: 0,
    max: 86_400,
    default: 30,
  },
  gcrootsDir: {
    env: 'NIXERY_GCROOTS_DIR',
    flag: '--gcroots-dir <dir>',
    group: 'nix',
    doc: 'parent of the per-build GC-root folders',
    readme: 'parent of the per-build GC-root folders; a start removes those whose build process is gone',
    type: 'string',
    defaultText: '<tmpdir>/nixery-gcroots',
  },
  authFile: {
    env: 'NIXERY_AUTH_FILE',
    flag: '--auth-file <htpasswd>',
    group: 'auth',
    doc: 'require Basic credentials from a bcrypt htpasswd file',
    readme: 'bcrypt htpasswd file (`htpasswd -B`): require Basic credentials',
    type: 'string',
  },
  authRealm: {
    env: 'NIXERY_AUTH_REALM',
    flag: '--auth-realm <realm>',
    group: 'auth',
    doc: 'realm named in the 401 challenge',
    readme: 'realm named in the `WWW-Authenticate` challenge',
    type: 'string',
    default: AUTH_REALM,
  },
  gcRetention: {
    env: 'NIXERY_GC_RETENTION',
    flag: '--gc-retention <duration>',
    group: 'gc',
    doc: 'garbage collection drops images not served (nor built) for this long',
    readme:
      'garbage collection (`nixery gc --retention`, and `serve` with `NIXERY_GC_INTERVAL`) drops an image not served nor built for this long, e.g. `30d`, `12h`',
    type: 'duration',
    default: '30d',
  },
  gcGrace: {
    env: 'NIXERY_GC_GRACE',
    flag: '--gc-grace <duration>',
    group: 'gc',
    doc: 'garbage collection never deletes anything younger than this (longer than any build)',
    readme:
      'garbage collection never deletes a blob, manifest or record written less than this ago (so a build in flight keeps its layers); at least `NIX_TIMEOUT` + `NIXERY_EVAL_TIMEOUT`',
    type: 'duration',
    default: '6h',
  },
  gcInterval: {
    env: 'NIXERY_GC_INTERVAL',
    flag: '--gc-interval <duration>',
    group: 'gc',
    doc: 'run garbage collection in the server this often (off by default)',
    readme:
      '`serve` runs garbage collection this often, e.g. `1d` (one run at a time, logged, counted in `/metrics`); unset or `0`: never',
    type: 'duration',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/** The table as a list, in its order. */
export function settingList(): [SettingName, SettingSpec][] {
  return Object.entries(SETTINGS) as [SettingName, SettingSpec][];
}

/** How a default reads in help and the README; undefined when there is none. */
export function defaultText(spec: SettingSpec): string | undefined {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.type === 'switch') return undefined;
  return spec.default === undefined ? undefined : String(spec.default);
}

/** The help line of a setting's flag: its doc, the variable it stands for, its default. */
export function helpLine(spec: SettingSpec): string {
  const variable = spec.type === 'switch' ? `[${spec.env}=1]` : `[${spec.env}]`;
  const fallback = defaultText(spec);
  const note = spec.note === undefined ? '' : `; ${spec.note}`;
  return `${spec.doc} ${variable}${fallback === undefined ? '' : ` (default ${fallback}${note})`}`;
}
