import { resolve } from 'node:path';
import {
  ConfigError,
  loadStorageConfig,
  SETTINGS,
  type SettingFlags,
  type SettingName,
  type StorageConfig,
  settingList,
} from '@nixery/config';
import { defaultGcRootsParent } from '@nixery/nix';
import { createStorage } from '@nixery/storage';
import { formatReport, needsAttention, verifyStorage } from '@nixery/verify';
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { addSettingOptions } from '../settings.js';

/** The storage settings (and the GC-root folder) `nixery verify` shares with `serve`. */
const VERIFY_SETTINGS = [
  ...settingList()
    // Presigned URLs only matter to a server answering pulls.
    .filter(
      ([name, spec]) => spec.group === 'storage' && spec.flag !== undefined && name !== 's3UsePresignedUrls',
    )
    .map(([name]) => name),
  'gcrootsDir',
] as const satisfies readonly SettingName[];

type VerifyFlags = Pick<SettingFlags, (typeof VERIFY_SETTINGS)[number]> & {
  json?: boolean;
  repair?: boolean;
  stagingAge: string;
  concurrency: string;
};

/** `nixery verify`: re-hash every blob and check every cache entry and manifest against them. */
export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('Check stored blobs against their digests and cache entries against their blobs');
  addSettingOptions(command, VERIFY_SETTINGS)
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
      const { json, repair, stagingAge, concurrency, gcrootsDir, ...storageFlags } = flags;
      const storage = createStorage(storageConfig(storageFlags));
      const report = await verifyStorage(storage, {
        repair: repair === true,
        gcRootsDir: resolve(
          (gcrootsDir as string | undefined) ??
            (process.env[SETTINGS.gcrootsDir.env]?.trim() || defaultGcRootsParent()),
        ),
        stagingOlderThanMs: wholeNumber('--staging-age', stagingAge, 0) * 1000,
        concurrency: wholeNumber('--concurrency', concurrency, 1),
      });
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (needsAttention(report)) {
        throw new CliError(
          EXIT.failure,
          `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found in storage; run again with --repair to remove them`,
        );
      }
    });
}

/** Flags first, then Nixery's environment variables, read as `nixery serve` reads them. */
function storageConfig(flags: SettingFlags): StorageConfig {
  try {
    return loadStorageConfig({ env: process.env, flags });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(EXIT.usage, `nixery verify: invalid storage settings\n${error.message}`);
    throw error;
  }
}

function wholeNumber(flag: string, value: string, min: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min) {
    throw new CliError(EXIT.usage, `nixery verify: ${flag} must be a whole number of at least ${min}`);
  }
  return Number(value);
}
