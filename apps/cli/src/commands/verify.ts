import { resolve } from 'node:path';
import { defaultGcRootsParent } from '@nixery/nix';
import { createStorage, type StorageConfig } from '@nixery/storage';
import { formatReport, needsAttention, verifyStorage } from '@nixery/verify';
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';

interface VerifyFlags {
  storageBackend?: string;
  storagePath?: string;
  gcsBucket?: string;
  s3Bucket?: string;
  gcrootsDir?: string;
  json?: boolean;
  repair?: boolean;
  stagingAge: string;
  concurrency: string;
}

/** `nixery verify`: re-hash every blob and check every cache entry and manifest against them. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('Check stored blobs against their digests and cache entries against their blobs')
    .option('--storage-backend <filesystem|gcs|s3>', 'where blobs are [NIXERY_STORAGE_BACKEND]')
    .option('--storage-path <dir>', 'filesystem storage folder [STORAGE_PATH] (default ./var/storage)')
    .option('--gcs-bucket <name>', 'Cloud Storage bucket [GCS_BUCKET]')
    .option(
      '--s3-bucket <name>',
      'S3 bucket [S3_BUCKET] (AWS_REGION, S3_ENDPOINT and S3_FORCE_PATH_STYLE as for serve)',
    )
    .option(
      '--gcroots-dir <dir>',
      "parent of the builds' GC-root folders [NIXERY_GCROOTS_DIR] (default <tmpdir>/nixery-gcroots)",
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--repair',
      'delete corrupt blobs, entries that point to missing blobs, stale GC-root folders and staging leftovers',
    )
    .option(
      '--staging-age <seconds>',
      'with --repair while a build runs on this host: only staging leftovers older than this are removed',
      '3600',
    )
    .option('--concurrency <n>', 'blobs hashed at once', '4')
    .addHelpText(
      'after',
      `
Exits with 1 when problems are found and --repair was not given.

Staging leftovers (unfinished uploads) and stale GC-root folders (of builds whose process is gone)
count as problems. A live GC-root folder on this host means a build is running here: then --repair
keeps staging leftovers younger than --staging-age; otherwise it removes them all. Uploads of
servers on other hosts sharing the storage cannot be seen from here (see the README).

Examples:
  $ nixery verify --storage-path /var/lib/nixery
  $ nixery verify --storage-backend gcs --gcs-bucket my-bucket --json
  $ nixery verify --repair`,
    )
    .action(async (flags: VerifyFlags) => {
      const storage = createStorage(storageConfig(flags));
      const report = await verifyStorage(storage, {
        repair: flags.repair === true,
        gcRootsDir: resolve(
          flags.gcrootsDir ?? (process.env.NIXERY_GCROOTS_DIR?.trim() || defaultGcRootsParent()),
        ),
        stagingOlderThanMs: wholeNumber('--staging-age', flags.stagingAge, 0) * 1000,
        concurrency: wholeNumber('--concurrency', flags.concurrency, 1),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (needsAttention(report)) {
        throw new CliError(
          EXIT.failure,
          `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found in storage; run again with --repair to remove them`,
        );
      }
    });
}

/** Flags first, then Nixery's environment variables, as `nixery serve` reads them. */
function storageConfig(flags: VerifyFlags): StorageConfig {
  const env = process.env;
  const backend = flags.storageBackend ?? env.NIXERY_STORAGE_BACKEND ?? 'filesystem';
  if (backend === 'filesystem') {
    return { backend, path: resolve(flags.storagePath ?? env.STORAGE_PATH ?? 'var/storage') };
  }
  if (backend === 'gcs') {
    const bucket = flags.gcsBucket ?? env.GCS_BUCKET;
    if (!bucket)
      throw new CliError(EXIT.usage, 'nixery verify: --gcs-bucket (or GCS_BUCKET) is required for gcs');
    return { backend, bucket };
  }
  if (backend === 's3') {
    const bucket = flags.s3Bucket ?? env.S3_BUCKET;
    if (!bucket)
      throw new CliError(EXIT.usage, 'nixery verify: --s3-bucket (or S3_BUCKET) is required for s3');
    return {
      backend,
      bucket,
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
      forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
    };
  }
  throw new CliError(EXIT.usage, `nixery verify: unknown storage backend ${JSON.stringify(backend)}`);
}

function wholeNumber(flag: string, value: string, min: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min) {
    throw new CliError(EXIT.usage, `nixery verify: ${flag} must be a whole number of at least ${min}`);
  }
  return Number(value);
}
