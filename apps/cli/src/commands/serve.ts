import { resolve } from 'node:path';
import { PackageSetUnusableError, startRegistry } from '@nixery/registry';
import { ConfigError, loadConfig } from '@nixery/source';
import type { Command } from 'commander';
import { EXIT, exitWith } from '../exit-codes.js';
import { gzipLevelOption } from '../settings.js';

/** Flags of `nixery serve`, each mirroring one of Nixery's environment variables. */
const FLAG_TO_ENV = {
  port: 'PORT',
  channel: 'NIXERY_CHANNEL',
  pkgsRepo: 'NIXERY_PKGS_REPO',
  pkgsPath: 'NIXERY_PKGS_PATH',
  storageBackend: 'NIXERY_STORAGE_BACKEND',
  storagePath: 'STORAGE_PATH',
  gcsBucket: 'GCS_BUCKET',
  s3Bucket: 'S3_BUCKET',
  awsRegion: 'AWS_REGION',
  s3Endpoint: 'S3_ENDPOINT',
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',
  s3UsePresignedUrls: 'S3_USE_PRESIGNED_URLS',
  nixTimeout: 'NIX_TIMEOUT',
  evalTimeout: 'NIXERY_EVAL_TIMEOUT',
  unpinnedTtl: 'NIXERY_UNPINNED_TTL',
  popularityUrl: 'NIX_POPULARITY_URL',
  layerBudget: 'NIXERY_LAYER_BUDGET',
  strategy: 'NIXERY_LAYER_STRATEGY',
  gzipLevel: 'NIXERY_GZIP_LEVEL',
  substituters: 'NIXERY_NIX_SUBSTITUTERS',
  gcrootsDir: 'NIXERY_GCROOTS_DIR',
  evalConcurrency: 'NIXERY_EVAL_CONCURRENCY',
  authFile: 'NIXERY_AUTH_FILE',
  authRealm: 'NIXERY_AUTH_REALM',
} as const;

type ServeFlags = Partial<Record<keyof typeof FLAG_TO_ENV, string>> & { host: string; allowUnfree?: boolean };

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the registry (flags override the environment variables named in brackets)')
    .option('-p, --port <port>', 'port to listen on [PORT] (default 8080)')
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--channel <name|commit>', 'serve a nixpkgs channel or commit [NIXERY_CHANNEL]')
    .option('--pkgs-repo <git-url>', 'serve a git repository; the image tag is the ref [NIXERY_PKGS_REPO]')
    .option('--pkgs-path <dir>', 'serve a local package set [NIXERY_PKGS_PATH]')
    .option('--storage-backend <filesystem|gcs|s3>', 'where blobs go [NIXERY_STORAGE_BACKEND]')
    .option('--storage-path <dir>', 'filesystem storage folder [STORAGE_PATH] (default ./var/storage)')
    .option('--gcs-bucket <name>', 'Cloud Storage bucket [GCS_BUCKET]')
    .option('--s3-bucket <name>', 'S3 bucket [S3_BUCKET]; credentials come from the AWS SDK chain')
    .option('--aws-region <region>', 'the S3 bucket region [AWS_REGION]')
    .option('--s3-endpoint <url>', 'endpoint of an S3-compatible service [S3_ENDPOINT]')
    .option(
      '--s3-force-path-style <true|false>',
      'path-style S3 addressing [S3_FORCE_PATH_STYLE] (default false)',
    )
    .option(
      '--s3-use-presigned-urls <true|false>',
      'redirect blob requests to presigned URLs, else stream them [S3_USE_PRESIGNED_URLS] (default true)',
    )
    .option('--nix-timeout <seconds>', 'limit for each build, enforced by Nix [NIX_TIMEOUT] (default 60)')
    .option('--eval-timeout <seconds>', 'limit for each evaluation [NIXERY_EVAL_TIMEOUT] (default 300)')
    .option(
      '--unpinned-ttl <seconds>',
      'serve an image of a branch or local package set this long before asking Nix again [NIXERY_UNPINNED_TTL] (default 60)',
    )
    .option('--popularity-url <url>', 'popularity data, http(s) or file URL [NIX_POPULARITY_URL]')
    .option('--layer-budget <n>', 'grouped layers per image [NIXERY_LAYER_BUDGET] (default 94)')
    .option('--strategy <name>', "layer grouping strategy, 'stable' or 'nixery' [NIXERY_LAYER_STRATEGY]")
    .addOption(gzipLevelOption())
    .option('--substituters <urls>', "Nix substituters, '' for none [NIXERY_NIX_SUBSTITUTERS]")
    .option('--allow-unfree', 'let nixpkgs evaluate unfree packages [NIXERY_ALLOW_UNFREE=1]')
    .option(
      '--eval-concurrency <n>',
      'Nix evaluations at once [NIXERY_EVAL_CONCURRENCY] (default: core count)',
    )
    .option(
      '--gcroots-dir <dir>',
      'parent of the per-build GC-root folders [NIXERY_GCROOTS_DIR] (default <tmpdir>/nixery-gcroots)',
    )
    .option(
      '--auth-file <htpasswd>',
      'require Basic credentials from a bcrypt htpasswd file [NIXERY_AUTH_FILE]',
    )
    .option('--auth-realm <realm>', 'realm named in the 401 challenge [NIXERY_AUTH_REALM] (default nixery)')
    .addHelpText(
      'after',
      `
With no package source set, the bundled offline demo package set is served.

Examples:
  $ nixery serve
  $ nixery serve --port 5000 --storage-path /var/lib/nixery
  $ NIXERY_CHANNEL=nixos-unstable nixery serve --storage-backend gcs --gcs-bucket my-bucket
  $ nixery serve --storage-backend s3 --s3-bucket my-bucket --aws-region eu-west-1`,
    )
    .action(async (flags: ServeFlags) => {
      const env: Record<string, string | undefined> = { ...process.env };
      for (const [flag, variable] of Object.entries(FLAG_TO_ENV)) {
        const value = flags[flag as keyof typeof FLAG_TO_ENV];
        if (value !== undefined) env[variable] = value;
      }
      if (flags.allowUnfree) env.NIXERY_ALLOW_UNFREE = '1';
      if (!env.STORAGE_PATH && (env.NIXERY_STORAGE_BACKEND ?? 'filesystem') === 'filesystem') {
        env.STORAGE_PATH = resolve('var/storage');
      }
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError)
          exitWith(EXIT.usage, `nixery serve: invalid configuration\n${error.message}`);
        throw error;
      }
      let registry: Awaited<ReturnType<typeof startRegistry>>;
      try {
        registry = await startRegistry({ config, host: flags.host });
      } catch (error) {
        if (error instanceof PackageSetUnusableError) exitWith(EXIT.usage, `nixery serve: ${error.message}`);
        throw error;
      }
      process.stdout.write(
        `nixery listening on ${registry.url} (try: skopeo inspect --tls-verify=false docker://${registry.url.slice('http://'.length)}/hello)\n`,
      );
      const stop = () => {
        void registry.close().finally(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
