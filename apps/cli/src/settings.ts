import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type Config,
  ConfigError,
  helpLine,
  loadConfig,
  SETTINGS,
  type SettingFlags,
  type SettingName,
} from '@nixery/config';
import { type Command, Option } from 'commander';
import { CliError, EXIT } from './exit-codes.js';

/**
 * The settings of the commands that run Nix, each flag standing for the environment variable
 * `serve` reads, so `nixery build` builds exactly what `nixery serve` would serve with the same
 * settings.
 */
const SOURCE_SETTINGS = [
  'channel',
  'pkgsRepo',
  'pkgsPath',
  'nixTimeout',
  'substituters',
  'extraPlatforms',
] as const satisfies readonly SettingName[];

/** The settings `resolveSettings` reads from a command's flags; its other flags are its own. */
const RESOLVED_SETTINGS = [
  ...SOURCE_SETTINGS,
  'layerBudget',
  'strategy',
  'gzipLevel',
  'platforms',
] as const satisfies readonly SettingName[];

/** Flags shared by the commands that run Nix (`addSourceOptions`). */
export type SourceFlags = Partial<Record<(typeof SOURCE_SETTINGS)[number], string>>;

/**
 * A setting's flag, made from @nixery/config's table: its syntax, help line and choices.
 * `flags` renames it for one command (`layers --budget`); its value must then be passed on
 * under the setting's name.
 */
export function settingOption(name: SettingName, flags?: string): Option {
  const spec = SETTINGS[name];
  if (!('flag' in spec)) throw new Error(`setting ${name} has no flag`);
  const syntax = flags ?? ('short' in spec ? `${spec.short}, ${spec.flag}` : spec.flag);
  const option = new Option(syntax, helpLine(spec));
  return 'choices' in spec ? option.choices([...spec.choices]) : option;
}

/** Adds the flags of these settings, in this order. */
export function addSettingOptions(command: Command, names: readonly SettingName[]): Command {
  for (const name of names) command.addOption(settingOption(name));
  return command;
}

/** Adds the package-source and Nix flags to a command. */
export function addSourceOptions(command: Command, options: { pathOnly?: boolean } = {}): Command {
  const names = options.pathOnly
    ? SOURCE_SETTINGS.filter((name) => name !== 'channel' && name !== 'pkgsRepo')
    : SOURCE_SETTINGS;
  return addSettingOptions(command, names);
}

/** A `--strategy` option: how the closure is grouped into layers. */
export function strategyOption(): Option {
  return settingOption('strategy');
}

/** A `--gzip-level` option: how hard layers are compressed. */
export function gzipLevelOption(): Option {
  return settingOption('gzipLevel');
}

/** A `--layer-budget`/`--budget` option: grouped layers per image. */
export function budgetOption(flags: string): Option {
  return settingOption('layerBudget', flags);
}

/**
 * The server's configuration for these flags: flags override the environment, which overrides
 * the defaults; mistakes are usage errors listing every problem at once.
 */
export function resolveSettings(
  flags: Partial<Record<(typeof RESOLVED_SETTINGS)[number], string>>,
  storagePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const settingFlags = pickSettingFlags(flags, RESOLVED_SETTINGS);
  // The CLI always works in a local cache folder, whatever backend a server would use.
  const local = {
    ...env,
    [SETTINGS.storageBackend.env]: 'filesystem',
    [SETTINGS.storagePath.env]: storagePath,
  };
  try {
    return loadConfig({ env: local, flags: settingFlags });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(EXIT.usage, `invalid settings\n${error.message}`);
    throw error;
  }
}

/** Only these settings' flags: a command's own flags never reach loadConfig as settings. */
function pickSettingFlags(flags: SettingFlags, names: readonly SettingName[]): SettingFlags {
  return Object.fromEntries(
    names.filter((name) => flags[name] !== undefined).map((name) => [name, flags[name]]),
  );
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
