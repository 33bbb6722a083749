import {
  applyFlags,
  type Config,
  ConfigError,
  loadConfig,
  type SettingFlags,
  settingList,
  withCliStoragePath,
} from '@nixery/config';
import { PackageSetUnusableError, startRegistry } from '@nixery/registry';
import type { Command } from 'commander';
import { EXIT, exitWith } from '../exit-codes.js';
import { addSettingOptions, settingOption } from '../settings.js';

/** Every setting of the table that has a flag, in the table's order: `serve` takes them all. */
const SERVE_SETTINGS = settingList()
  .filter(([, spec]) => spec.flag !== undefined)
  .map(([name]) => name);

type ServeFlags = SettingFlags & { host: string };

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('Run the registry (flags override the environment variables named in brackets)')
    .addOption(settingOption('port'))
    .option('--host <address>', 'address to listen on', '0.0.0.0');
  addSettingOptions(
    command,
    SERVE_SETTINGS.filter((name) => name !== 'port'),
  )
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
      const { host, ...settingFlags } = flags;
      const env = withCliStoragePath(applyFlags(process.env, settingFlags));
      let config: Config;
      try {
        config = loadConfig({ env });
      } catch (error) {
        if (error instanceof ConfigError)
          exitWith(EXIT.usage, `nixery serve: invalid configuration\n${error.message}`);
        throw error;
      }
      let registry: Awaited<ReturnType<typeof startRegistry>>;
      try {
        registry = await startRegistry({ config, host });
      } catch (error) {
        if (error instanceof PackageSetUnusableError) exitWith(EXIT.usage, `nixery serve: ${error.message}`);
        throw error;
      }
      process.stdout.write(
        `nixery listening on ${registry.url} (try: skopeo inspect --tls-verify=false docker://${registry.url.slice('http://'.length)}/hello)\n`,
      );
      // The first SIGTERM/SIGINT drains (NIXERY_SHUTDOWN_TIMEOUT for builds in flight); a second
      // one stops at once.
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(EXIT.failure);
        stopping = true;
        void registry.shutdown().finally(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
