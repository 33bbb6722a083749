export { ConfigError } from '@nixery/source';
export type { AuthConfig } from './auth.js';
export { builderOptions, type ConfiguredBuilderOptions } from './builder-options.js';
export {
  applyFlags,
  type Config,
  type GcConfig,
  type LoadOptions,
  loadConfig,
  loadGcConfig,
  loadStorageConfig,
  type SettingFlags,
  withCliStoragePath,
} from './load.js';
export type { NixFleetConfig } from './nix-fleet.js';
export { README_TABLE_END, README_TABLE_START, readmeTable, withReadmeTable } from './readme-table.js';
export type { StorageConfig } from './storage.js';
export {
  defaultText,
  helpLine,
  MAX_LAYER_BUDGET,
  SETTINGS,
  type SettingGroup,
  type SettingName,
  type SettingSpec,
  settingList,
} from './table.js';
export { parseDuration } from './values.js';
