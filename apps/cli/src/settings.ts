import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_GROUPING_OPTIONS, GROUPING_STRATEGY_NAMES } from '@nixery/layers';
import { type Config, ConfigError, loadConfig } from '@nixery/source';
import { type Command, Option } from 'commander';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Flags shared by the commands that run Nix, each standing for the environment variable `serve`
 * reads, so `nixery build` builds exactly what `nixery serve` would serve with the same settings.
 */
export interface SourceFlags {
  channel?: string;
  pkgsRepo?: string;
  pkgsPath?: string;
  nixTimeout?: string;
  substituters?: string;
}

const FLAG_TO_ENV = {
  channel: 'NIXERY_CHANNEL',
  pkgsRepo: 'NIXERY_PKGS_REPO',
  pkgsPath: 'NIXERY_PKGS_PATH',
  nixTimeout: 'NIX_TIMEOUT',
  substituters: 'NIXERY_NIX_SUBSTITUTERS',
} as const satisfies Record<keyof SourceFlags, string>;

/** Adds the package-source and Nix flags to a command. */
export function addSourceOptions(command: Command, options: { pathOnly?: boolean } = {}): Command {
  if (!options.pathOnly) {
    command
      .option('--channel <name|commit>', 'build from a nixpkgs channel or commit [NIXERY_CHANNEL]')
      .option('--pkgs-repo <git-url>', 'build from a git repository; --tag is the ref [NIXERY_PKGS_REPO]');
  }
  return command
    .option(
      '--pkgs-path <dir>',
      'build from a local package set (default: the bundled demo set) [NIXERY_PKGS_PATH]',
    )
    .option('--nix-timeout <seconds>', 'Nix time limit [NIX_TIMEOUT] (default 60)')
    .option('--substituters <urls>', "Nix substituters, '' for none [NIXERY_NIX_SUBSTITUTERS]");
}

/** A `--strategy` option: how the closure is grouped into layers. */
export function strategyOption(): Option {
  return new Option(
    '--strategy <name>',
    `layer grouping strategy [NIXERY_LAYER_STRATEGY] (default ${DEFAULT_GROUPING_OPTIONS.strategy}; 'nixery' is Nixery's grouping)`,
  ).choices([...GROUPING_STRATEGY_NAMES]);
}

/** A `--gzip-level` option: how hard layers are compressed. */
export function gzipLevelOption(): Option {
  return new Option(
    '--gzip-level <n>',
    'gzip level of the layers, 1 (fastest) to 9 [NIXERY_GZIP_LEVEL] (default 6)',
  );
}

/** A `--layer-budget`/`--budget` option: grouped layers per image. */
export function budgetOption(flags: string): Option {
  return new Option(flags, 'grouped layers per image, 1 to 124 [NIXERY_LAYER_BUDGET] (default 94)');
}

/**
 * The server's configuration for these flags: flags override the environment, which overrides
 * the defaults; mistakes are usage errors listing every problem at once.
 */
export function resolveSettings(
  flags: SourceFlags & { layerBudget?: string; strategy?: string; gzipLevel?: string },
  storagePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [flag, variable] of Object.entries(FLAG_TO_ENV)) {
    const value = flags[flag as keyof SourceFlags];
    if (value !== undefined) merged[variable] = value;
  }
  if (flags.layerBudget !== undefined) merged.NIXERY_LAYER_BUDGET = flags.layerBudget;
  if (flags.strategy !== undefined) merged.NIXERY_LAYER_STRATEGY = flags.strategy;
  if (flags.gzipLevel !== undefined) merged.NIXERY_GZIP_LEVEL = flags.gzipLevel;
  // The CLI always works in a local cache folder, whatever backend a server would use.
  merged.NIXERY_STORAGE_BACKEND = 'filesystem';
  merged.STORAGE_PATH = storagePath;
  try {
    return loadConfig(merged);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(EXIT.usage, `invalid settings\n${error.message}`);
    throw error;
  }
}

/** `--cache-dir`, else `$XDG_CACHE_HOME/nixery`, else `~/.cache/nixery`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== '') return join(resolve(xdg), 'nixery');
  return join(homedir(), '.cache', 'nixery');
}

/** Parses a whole number flag, or throws a usage error naming the flag. */
export function wholeNumber(flag: string, value: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(
      EXIT.usage,
      `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}
