import {
  ConfigError,
  type GcConfig,
  loadGcConfig,
  loadStorageConfig,
  type SettingFlags,
  type SettingName,
  type StorageConfig,
  settingList,
} from '@nixery/config';
import { collectGarbage, formatGcReport } from '@nixery/gc';
import { createStorage } from '@nixery/storage';
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { addSettingOptions, settingOption } from '../settings.js';

/** The storage settings `nixery gc` shares with `serve` (presigned URLs only matter to a server). */
const STORAGE_SETTINGS = settingList()
  .filter(
    ([name, spec]) => spec.group === 'storage' && spec.flag !== undefined && name !== 's3UsePresignedUrls',
  )
  .map(([name]) => name) satisfies SettingName[];

type GcFlags = SettingFlags & {
  retention?: string;
  grace?: string;
  json?: boolean;
  dryRun?: boolean;
  concurrency: string;
};

/** `nixery gc`: drop images unused past the retention, then every blob no kept image references. */
export function registerGc(program: Command): void {
  const command = program
    .command('gc')
    .description('Delete images not served within the retention, and the blobs no kept image references');
  addSettingOptions(command, STORAGE_SETTINGS)
    .addOption(settingOption('gcRetention', '--retention <duration>'))
    .addOption(settingOption('gcGrace', '--grace <duration>'))
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .option('--json', 'print the report as JSON')
    .option('--concurrency <n>', 'storage requests at once', '8')
    .addHelpText(
      'after',
      `
An image (its manifests, SBOM referrers and cache record) is kept while it was served or built
within the retention; blobs are kept while a kept image references them. Nothing written within
the grace period is deleted, so a build in progress on any instance keeps its layers. Durations:
seconds, or a number with a unit (ms, s, m, h, d, w), e.g. 30d, 6h, 1h30m.

Examples:
  $ nixery gc --storage-path /var/lib/nixery --dry-run
  $ nixery gc --retention 14d --json
  $ nixery gc --storage-backend s3 --s3-bucket my-bucket --aws-region eu-west-1`,
    )
    .action(async (flags: GcFlags) => {
      const { json, dryRun, concurrency, retention, grace, ...storageFlags } = flags;
      const settings = gcSettings({ gcRetention: retention, gcGrace: grace });
      const storage = createStorage(storageConfig(storageFlags));
      if (!/^[0-9]+$/.test(concurrency) || Number(concurrency) < 1 || Number(concurrency) > 256)
        throw new CliError(EXIT.usage, 'nixery gc: --concurrency must be a whole number from 1 to 256');
      const report = await collectGarbage(storage, {
        retentionMs: settings.retentionMs,
        graceMs: settings.graceMs,
        dryRun: dryRun === true,
        concurrency: Number(concurrency),
      });
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatGcReport(report));
    });
}

/** --retention and --grace over NIXERY_GC_RETENTION and NIXERY_GC_GRACE, checked as `serve` checks them. */
function gcSettings(flags: SettingFlags): GcConfig {
  try {
    return loadGcConfig({ env: process.env, flags });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(EXIT.usage, `nixery gc: invalid settings\n${error.message}`);
    throw error;
  }
}

function storageConfig(flags: SettingFlags): StorageConfig {
  try {
    return loadStorageConfig({ env: process.env, flags });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(EXIT.usage, `nixery gc: invalid storage settings\n${error.message}`);
    throw error;
  }
}
